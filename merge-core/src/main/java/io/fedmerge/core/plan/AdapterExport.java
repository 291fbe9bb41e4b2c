package io.fedmerge.core.plan;

import io.fedmerge.core.FedmergeException;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Writes a merge as a PEFT LoRA adapter directory instead of a checkpoint ({@code fedmerge merge --as-adapter}).
 * The factorisations need a linear-algebra library, which merge-core does not carry: the implementation lives in
 * the lowrank module and is found with {@link ServiceLoader}.
 */
public interface AdapterExport {

    /**
     * @param rank the largest rank to write, or null for the exact rank (the sum of the contributors' ranks)
     */
    record Request(MergePlan plan, Path output, Integer rank, int threads, int sliceElements, MergeProgress progress) {}

    /** How one module's ΔW was written: its rank and ‖ΔW − B·A‖_F / ‖ΔW‖_F (0 when exact). */
    record ModuleFit(String module, int rank, double relativeError) {}

    /**
     * @param how "concatenated" (exact), "truncated" (exact factors cut to the optimal rank R) or "extracted" (the
     *     merged dense Δ factorised by randomised SVD)
     */
    record Result(Path output, String how, int rank, long bytes, double seconds, List<ModuleFit> modules,
            List<String> warnings) {
        public Result {
            modules = List.copyOf(modules);
            warnings = List.copyOf(warnings);
        }

        public double worstRelativeError() {
            return modules.stream().mapToDouble(ModuleFit::relativeError).max().orElse(0);
        }
    }

    Result export(Request request);

    /** The implementation on the class path, or a clear error when this build has none. */
    static AdapterExport find() {
        return ServiceLoader.load(AdapterExport.class).findFirst().orElseThrow(() -> new FedmergeException(
                "--as-adapter needs the fedmerge-lowrank module, which is not on the class path of this build;"
                        + " run ./fedmerge from the repository root"));
    }
}
