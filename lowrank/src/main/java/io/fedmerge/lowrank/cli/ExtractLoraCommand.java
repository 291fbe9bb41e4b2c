package io.fedmerge.lowrank.cli;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.cli.Json;
import io.fedmerge.core.cli.ProgressBar;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.plan.AdapterExport.ModuleFit;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.lowrank.LoraExtractor;
import io.fedmerge.lowrank.RandomizedSvd;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "extract-lora", mixinStandardHelpOptions = true,
        description = "Approximate MODEL − BASE by a rank-R PEFT LoRA adapter (mergekit-extract-lora's counterpart),"
                + " reporting each module's relative error.")
public final class ExtractLoraCommand implements Callable<Integer> {
    @Option(names = "--base", required = true, description = "Base checkpoint directory.")
    Path base;

    @Option(names = "--model", required = true, description = "Fine-tuned checkpoint directory.")
    Path model;

    @Option(names = "--rank", required = true, paramLabel = "R", description = "Rank of every adapted module.")
    int rank;

    @Option(names = "--out", required = true, description = "Adapter directory to create (must not exist or be empty).")
    Path out;

    @Option(names = "--dtype", defaultValue = "f32", description = "Dtype of the factors: f32 (default) or bf16.")
    String dtype;

    @Option(names = "--power-iterations", defaultValue = "" + RandomizedSvd.DEFAULT_POWER_ITERATIONS,
            description = "Randomised SVD power iterations (more: closer to the optimal rank-R error, 2 passes"
                    + " over each weight per iteration; default ${DEFAULT-VALUE}).")
    int powerIterations;

    @Option(names = "--seed", defaultValue = "1077", description = "Seed of the random sketch.")
    long seed;

    @Option(names = "--json", description = "Print a machine-readable summary on stdout.")
    boolean json;

    @Override
    public Integer call() {
        if (rank < 1) {
            throw new FedmergeException("--rank must be at least 1, found " + rank);
        }
        DType d = DType.fromUserName(dtype);
        if (d == DType.F16) {
            throw new FedmergeException("--dtype must be f32 or bf16");
        }
        LoraExtractor.Result r;
        try (Checkpoint b = Checkpoint.open(base); Checkpoint m = Checkpoint.open(model)) {
            r = new LoraExtractor(new RandomizedSvd(RandomizedSvd.DEFAULT_OVERSAMPLING, powerIterations, seed), d,
                    baseDtype -> baseDtype)
                    .extract(b, m, rank, out, new ProgressBar(System.err, "extract-lora", json));
        }
        r.warnings().forEach(w -> System.err.println("warning: " + w));
        double worst = r.modules().stream().mapToDouble(ModuleFit::relativeError).max().orElse(0);
        if (json) {
            ObjectNode o = Json.object();
            o.put("output", r.output().toString());
            o.put("rank", r.rank());
            o.put("bytes", r.bytes());
            o.put("worst_relative_error", worst);
            for (ModuleFit f : r.modules()) {
                o.withArray("modules").addObject().put("module", f.module()).put("rank", f.rank())
                        .put("relative_error", f.relativeError());
            }
            r.saved().forEach(o.putArray("saved")::add);
            System.out.println(Json.write(o));
            return 0;
        }
        for (ModuleFit f : r.modules()) {
            System.out.printf("  %-60s rank %-4d relative error %.4g%n", f.module(), f.rank(), f.relativeError());
        }
        r.saved().forEach(t -> System.out.printf("  %-60s saved whole (not low-rank)%n", t));
        System.out.printf("wrote a rank-%d adapter of %d modules (%d tensors saved whole) into %s, %.1f MB;"
                + " worst relative error %.4g%n", r.rank(), r.modules().size(), r.saved().size(), r.output(),
                r.bytes() / 1e6, worst);
        return 0;
    }
}
