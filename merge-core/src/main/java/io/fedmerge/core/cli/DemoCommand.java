package io.fedmerge.core.cli;

import io.fedmerge.core.config.MergeConfigParser;
import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointDigest;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.FileTrees;
import io.fedmerge.core.method.MethodRegistry;
import io.fedmerge.core.plan.MergeExecutor;
import io.fedmerge.core.plan.MergePlan;
import io.fedmerge.core.plan.MergePlanner;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.plan.MergeResult;
import io.fedmerge.core.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Generate a small base model and three hospital fine-tunes, merge them with several methods,"
                + " and print what came out. Needs no server and no download.")
final class DemoCommand implements Callable<Integer> {
    private static final List<String> METHODS = List.of("task_arithmetic", "ties", "linear");

    @Option(names = "--work", defaultValue = "demo-out", description = "Working directory (replaced on each run).")
    Path work;

    @Option(names = "--preset", defaultValue = "tiny", description = "tiny (default) or small.")
    String preset;

    @Option(names = "--json", description = "Print a machine-readable summary on stdout.")
    boolean json;

    @Override
    public Integer call() {
        FileTrees.deleteRecursively(work);
        Path models = work.resolve("models");
        ModelShape shape = ModelShape.preset(preset);
        CheckpointGenerator.Generated g = new CheckpointGenerator().generate(models, new CheckpointGenerator.Options(
                shape, 3, 42, DType.BF16, CheckpointWriter.DEFAULT_SHARD_BYTES, 0,
                Runtime.getRuntime().availableProcessors()), MergeProgress.NONE);
        if (!json) {
            System.out.printf("generated base + 3 hospital fine-tunes (%s preset, %d layers, %.1f MB each) in %s%n",
                    preset, shape.layers(), g.bytesPerModel() / 1e6, models);
            System.out.printf("%-16s %8s %8s  %s%n", "method", "tensors", "seconds", "output digest");
        }
        ObjectNode summary = Json.object();
        for (String method : METHODS) {
            Path config = writeConfig(models, method);
            Path out = work.resolve("merged-" + method);
            MergeResult r;
            try (MergePlan plan = new MergePlanner(new MethodRegistry()).plan(MergeConfigParser.parse(config))) {
                r = new MergeExecutor(Runtime.getRuntime().availableProcessors()).execute(plan, out, MergeProgress.NONE);
            }
            String digest;
            try (Checkpoint merged = Checkpoint.open(out)) {
                digest = CheckpointDigest.of(merged);
            }
            if (json) {
                ObjectNode m = summary.withArray("merges").addObject();
                m.put("method", method);
                m.put("output", out.toString());
                m.put("tensors", r.tensors());
                m.put("seconds", r.seconds());
                m.put("digest", digest);
            } else {
                System.out.printf("%-16s %8d %8.2f  %s%n", method, r.tensors(), r.seconds(), digest);
            }
        }
        if (json) {
            System.out.println(Json.write(summary));
        } else {
            System.out.println("merged checkpoints are in " + work + "/merged-*; try: ./fedmerge inspect "
                    + work.resolve("merged-ties"));
        }
        return 0;
    }

    private static Path writeConfig(Path models, String method) {
        String density = method.equals("ties") ? ", density: 0.6" : "";
        String yaml = "merge_method: " + method + "\nbase_model: base\nmodels:\n"
                + "  - model: hospital-1\n    parameters: {weight: 0.4" + density + "}\n"
                + "  - model: hospital-2\n    parameters: {weight: 0.3" + density + "}\n"
                + "  - model: hospital-3\n    parameters: {weight: 0.3" + density + "}\n";
        try {
            return Files.writeString(models.resolve(method + ".yml"), yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
