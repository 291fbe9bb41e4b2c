package io.fedmerge.lowrank;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.plan.AdapterExport.ModuleFit;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.plan.TensorSetCheck;
import io.fedmerge.core.tensor.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * mergekit-extract-lora's counterpart: a rank-R PEFT adapter approximating M − B. Every 2-D weight that changed
 * (embeddings aside) is factorised by randomised SVD from row blocks of the two mapped checkpoints; every other
 * tensor that changed — norms, biases, the token embedding — cannot be a LoRA factor and is saved whole
 * (modules_to_save), together with the rest of its module. Unchanged tensors are left out.
 */
public final class LoraExtractor {
    private final RandomizedSvd svd;
    private final DType factorDtype;
    private final UnaryOperator<DType> savedDtype;

    /** @param savedDtype the dtype a tensor saved whole is written in, given the base's */
    public LoraExtractor(RandomizedSvd svd, DType factorDtype, UnaryOperator<DType> savedDtype) {
        this.svd = svd;
        this.factorDtype = factorDtype;
        this.savedDtype = savedDtype;
    }

    public record Result(Path output, int rank, long bytes, List<ModuleFit> modules, List<String> saved,
            List<String> warnings) {}

    public Result extract(Checkpoint base, Checkpoint model, int rank, Path out, MergeProgress progress) {
        CheckpointWriter.checkTargetUsable(out.toAbsolutePath().normalize());
        List<String> warnings = new ArrayList<>(TensorSetCheck.check(base, model, "model " + model.location(), true));
        Set<String> savedModules = new LinkedHashSet<>();
        List<String> factorised = new ArrayList<>();
        for (String t : base.tensorNames()) {
            if (!CheckpointDifference.differs(model, base, t)) {
                continue;
            }
            if (lowRankable(base.info(t))) {
                factorised.add(t);
            } else {
                savedModules.add(module(t));
            }
        }
        factorised.removeIf(t -> savedModules.contains(module(t)));
        List<AdapterOutput.Saved> saved = new ArrayList<>();
        for (String t : base.tensorNames()) {
            if (savedModules.contains(module(t))) {
                TensorInfo info = base.info(t);
                saved.add(new AdapterOutput.Saved(t, info.shape(), savedDtype.apply(info.dtype()),
                        (first, count, dst) -> model.readFloats(t, first, count, dst)));
            }
        }
        if (factorised.isEmpty() && saved.isEmpty()) {
            throw new FedmergeException("model " + model.location() + " equals the base " + base.location()
                    + " in every tensor: there is no difference to extract");
        }
        for (String t : factorised) {
            checkRank(rank, base.info(t));
        }
        progress.started(factorised.size(), factorised.size());
        List<AdapterOutput.Module> modules = new ArrayList<>();
        List<ModuleFit> fits = new ArrayList<>();
        for (String t : factorised) {
            TensorInfo info = base.info(t);
            LowRankFactors f = svd.factor(new CheckpointDifference(model, base, t), rank);
            modules.add(new AdapterOutput.Module(module(t), false, f));
            fits.add(new ModuleFit(module(t), f.rank(), f.relativeError()));
            progress.tensorDone(t, modules.size(), modules.size());
        }
        long bytes = AdapterOutput.write(out, base, modules, saved, false, factorDtype, "fedmerge extract-lora");
        return new Result(out, modules.stream().mapToInt(m -> m.factors().rank()).max().orElse(0), bytes, fits,
                saved.stream().map(AdapterOutput.Saved::tensor).toList(), warnings);
    }

    /** A rank-R factorisation of an out × in matrix has R ≤ min(out, in); a larger --rank is a mistake. */
    static void checkRank(int rank, TensorInfo t) {
        long limit = Math.min(t.dim(0), t.dim(1));
        if (rank > limit) {
            throw new FedmergeException("--rank " + rank + " exceeds min(out, in) = " + limit + " of "
                    + t.name() + " " + t.shapeString() + "; choose a rank of at most " + limit);
        }
    }

    /** A weight LoRA can carry: 2-D, and not the token embedding (which PEFT adapts only as an embedding layer). */
    static boolean lowRankable(TensorInfo t) {
        return t.rank() == 2 && t.name().endsWith(".weight") && !t.name().contains("embed_tokens")
                && !t.name().contains("wte");
    }

    static String module(String tensor) {
        return tensor.substring(0, tensor.lastIndexOf('.'));
    }
}
