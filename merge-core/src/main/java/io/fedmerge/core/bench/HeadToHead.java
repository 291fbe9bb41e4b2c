package io.fedmerge.core.bench;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.FileTrees;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.tensor.DType;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * fedmerge against mergekit the way a user times them: the wall clock of the whole {@code fedmerge merge} command (a
 * fresh JVM, as typed) on the model and configs mergekit was measured with, beside mergekit's recorded seconds. The
 * figures are anchors recorded on this machine (base + 3 fine-tunes of {@link #SHAPE}, 2 threads, warm page cache),
 * not a live run: mergekit and torch are no dependency of this project. task_arithmetic and ties are issue 14's
 * figures for mergekit's own method code, the lower of the two kinds of figure; della, whose method code was never
 * timed alone, is the whole {@code mergekit-yaml} command (docs/BENCHMARKS.md gives both kinds for all three).
 */
public final class HeadToHead {
    /** Mistral layout, 1.5 GB in bf16: hidden 2048, 14 layers, 32 heads (8 KV), MLP 5632, vocabulary 32,000. */
    public static final ModelShape SHAPE = new ModelShape(2048, 14, 32, 8, 5632, 32000);
    /** mergekit's wall clock on {@link #SHAPE} (docs/BENCHMARKS.md, "Head to head with mergekit"). */
    public static final Map<String, Double> MERGEKIT_SECONDS = Map.of("task_arithmetic", 22.7, "ties", 219.6,
            "della", 324.4);
    private static final int FINE_TUNES = 3;

    /** @param speedup mergekit's seconds over fedmerge's: how many times faster fedmerge was */
    public record Run(String method, double mergekitSeconds, double seconds, double speedup) {}

    /**
     * Generates the models under {@code work} (reused when present) and runs {@code fedmerge merge} for each method
     * with {@code launch} (the command that starts fedmerge, e.g. {@code java … io.fedmerge.app.Fedmerge}).
     */
    public List<Run> run(Path work, ModelShape shape, List<String> methods, List<String> launch, PrintStream log) {
        for (String m : methods) {
            if (!MERGEKIT_SECONDS.containsKey(m)) {
                throw new FedmergeException("no mergekit figure recorded for '" + m + "'; head to head runs "
                        + String.join(", ", MERGEKIT_SECONDS.keySet()));
            }
        }
        try {
            Path models = work.resolve("models");
            if (!Files.isDirectory(models.resolve("base"))) {
                log.printf("generating base + %d fine-tunes (hidden %d, %d layers) in %s%n", FINE_TUNES,
                        shape.hidden(), shape.layers(), models);
                new CheckpointGenerator().generate(models, new CheckpointGenerator.Options(shape, FINE_TUNES, 7,
                        DType.BF16, CheckpointWriter.DEFAULT_SHARD_BYTES, 0, 2), MergeProgress.NONE);
            }
            // mergekit's anchors were timed with the inputs in the page cache: so is every fedmerge run, the first too
            log.printf("warming the page cache: read %d MB of inputs%n",
                    PageCache.readAll(CheckpointGenerator.modelDirs(models, FINE_TUNES)) / 1_000_000);
            List<Run> runs = new ArrayList<>();
            for (String method : methods) {
                Path config = Files.writeString(work.resolve(method + ".yml"), config(models, method));
                Path out = work.resolve("out-" + method);
                FileTrees.deleteRecursively(out);
                double seconds = timed(launch, config, out, work.resolve(method + ".log"));
                FileTrees.deleteRecursively(out);
                double anchor = MERGEKIT_SECONDS.get(method);
                runs.add(new Run(method, anchor, seconds, anchor / seconds));
                log.printf("%-16s fedmerge %.2f s, mergekit %.1f s: %.1fx%n", method, seconds, anchor,
                        anchor / seconds);
            }
            return runs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The config the mergekit figure was taken with: every fine-tune at weight 1, TIES at density 0.5, DELLA at
     * density 0.6 and epsilon 0.05.
     */
    static String config(Path models, String method) {
        StringBuilder y = new StringBuilder("merge_method: ").append(method).append('\n')
                .append("base_model: ").append(models.resolve("base")).append('\n').append("dtype: bfloat16\n")
                .append("models:\n");
        for (int v = 1; v <= FINE_TUNES; v++) {
            y.append("  - model: ").append(models.resolve("hospital-" + v)).append('\n')
                    .append("    parameters: {weight: 1.0").append(parameters(method)).append("}\n");
        }
        return y.toString();
    }

    private static String parameters(String method) {
        return switch (method) {
            case "ties" -> ", density: 0.5";
            case "della" -> ", density: 0.6, epsilon: 0.05";
            default -> "";
        };
    }

    private static double timed(List<String> launch, Path config, Path out, Path logFile) throws IOException {
        List<String> command = new ArrayList<>(launch);
        command.addAll(List.of("merge", config.toString(), out.toString()));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
        try {
            int code = p.waitFor();
            if (code != 0) {
                throw new FedmergeException("fedmerge merge exited " + code + "; its output is in " + logFile);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new FedmergeException("interrupted");
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * The command that started this JVM, so the merges run as the user's own {@code fedmerge} does: same java, JVM
     * flags (an AOT cache included) and class path, and the same main class.
     */
    public static List<String> thisLauncher() {
        List<String> c = new ArrayList<>();
        c.add(ProcessHandle.current().info().command().orElseThrow());
        c.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        c.add("-cp");
        c.add(System.getProperty("java.class.path"));
        String main = System.getProperty("sun.java.command", "io.fedmerge.core.cli.FedmergeCli").split(" ")[0];
        c.add(main);
        return c;
    }
}
