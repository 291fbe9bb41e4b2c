package io.fedmerge.core.cli;

import io.fedmerge.core.bench.HeadToHead;
import io.fedmerge.core.bench.MergeBenchmark;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.tensor.DType;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (figures go to docs/BENCHMARKS.md).",
        subcommands = BenchCommand.Merge.class)
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "merge", mixinStandardHelpOptions = true,
            description = "Merge throughput of each method as a ratio to a plain read+write copy of the same bytes, and peak RSS.")
    static final class Merge implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--preset", defaultValue = "mistral-7b", description = "Model shapes (default mistral-7b).")
        String preset;

        @Option(names = "--layers", description = "Number of layers (default: from --size-gb).")
        Integer layers;

        private static final double DEFAULT_SIZE_GB = 2;

        @Option(names = "--size-gb", description = "Minimum size of each model in GB (bf16); default 2 with the"
                + " mistral-7b preset, the preset's own layer count with the others.")
        Double sizeGb;

        @Option(names = "--variants", defaultValue = "3", description = "Fine-tunes merged.")
        int variants;

        @Option(names = "--methods", split = ",", defaultValue = "task_arithmetic,ties,linear",
                description = "Methods to run (comma-separated).")
        List<String> methods;

        @Option(names = "--threads", description = "Worker threads (default: number of cores).")
        int threads = Runtime.getRuntime().availableProcessors();

        @Option(names = "--work", defaultValue = "bench-out", description = "Working directory (models are reused).")
        Path work;

        @Option(names = "--keep-models", description = "Keep the generated models for another run.")
        boolean keep;

        @Option(names = "--json", description = "Print the report as JSON on stdout.")
        boolean json;

        @Option(names = "--vs-mergekit", description = "Head to head: time the whole 'fedmerge merge' command (a"
                + " fresh JVM) on the 1.5 GB model mergekit was measured with, for the methods of --methods that"
                + " have a mergekit figure (task_arithmetic, ties, della), beside mergekit's seconds.")
        boolean vsMergekit;

        @Option(names = "--cold", description = "Empty the page cache (needs root) before a cold read of the inputs and"
                + " before each method, and report each merge's ratio to that read: the cost over the disk's floor.")
        boolean cold;

        /** --layers, else --size-gb, else the preset as it is (mistral-7b sized to 2 GB, as it always was). */
        private ModelShape shape() {
            ModelShape shape = ModelShape.preset(preset);
            if (layers != null) {
                return shape.withLayers(layers);
            }
            if (sizeGb != null) {
                return shape.withSize(sizeGb, DType.BF16);
            }
            return "mistral-7b".equals(preset) ? shape.withSize(DEFAULT_SIZE_GB, DType.BF16) : shape;
        }

        @Override
        public Integer call() {
            if (vsMergekit && cold) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--cold and --vs-mergekit do not"
                        + " combine: mergekit's anchors were timed with a warm page cache; run them one at a time");
            }
            if (vsMergekit) {
                return headToHead();
            }
            MergeBenchmark.Report r = new MergeBenchmark().run(
                    new MergeBenchmark.Options(shape(), variants, threads, work, methods, keep, cold), System.err);
            if (json) {
                ObjectNode o = Json.object();
                o.put("layers", r.layers());
                o.put("threads", threads);
                o.put("input_bytes", r.inputBytes());
                o.put("output_bytes", r.outputBytes());
                o.put("copy_seconds", r.copySeconds());
                o.put("copy_mb_per_s", r.copyMBps());
                o.put("copy_peak_rss_bytes", r.copyPeakRssBytes());
                if (cold) {
                    o.put("cold_read_seconds", r.coldReadSeconds());
                }
                for (MergeBenchmark.Run run : r.runs()) {
                    ObjectNode m = o.withArray("methods").addObject();
                    m.put("method", run.name());
                    m.put("seconds", run.seconds());
                    m.put("ratio_to_copy", run.ratioToCopy());
                    if (cold) {
                        m.put("ratio_to_cold_read", run.ratioToColdRead());
                    }
                    m.put("peak_rss_bytes", run.peakRssBytes());
                }
                System.out.println(Json.write(o));
            } else {
                System.out.printf("%d layers, %d fine-tunes, read %.0f MB + wrote %.0f MB; copy %.2f s (%.0f MB/s)%n",
                        r.layers(), variants, r.inputBytes() / 1e6, r.outputBytes() / 1e6, r.copySeconds(),
                        r.copyMBps());
                if (cold) {
                    System.out.printf("cold read of the inputs %.2f s%n", r.coldReadSeconds());
                }
                System.out.printf("%-18s %9s %14s %14s %14s%n", "method", "seconds", "ratio to copy",
                        cold ? "x cold read" : "", "peak RSS MB");
                for (MergeBenchmark.Run run : r.runs()) {
                    System.out.printf("%-18s %9.2f %14.2f %14s %14d%n", run.name(), run.seconds(), run.ratioToCopy(),
                            cold ? String.format("%.2f", run.ratioToColdRead()) : "", run.peakRssBytes() / 1_000_000);
                }
            }
            return 0;
        }

        private int headToHead() {
            ModelShape shape = layers != null ? HeadToHead.SHAPE.withLayers(layers) : HeadToHead.SHAPE;
            List<String> timed = methods.stream().filter(HeadToHead.MERGEKIT_SECONDS::containsKey).toList();
            List<HeadToHead.Run> runs = new HeadToHead().run(work, shape, timed, HeadToHead.thisLauncher(),
                    System.err);
            if (json) {
                ObjectNode o = Json.object();
                o.put("layers", shape.layers());
                for (HeadToHead.Run r : runs) {
                    ObjectNode m = o.withArray("methods").addObject();
                    m.put("method", r.method());
                    m.put("seconds", r.seconds());
                    m.put("mergekit_seconds", r.mergekitSeconds());
                    m.put("speedup", r.speedup());
                }
                System.out.println(Json.write(o));
                return 0;
            }
            System.out.printf("%-18s %12s %12s %9s%n", "method", "fedmerge s", "mergekit s", "speed-up");
            for (HeadToHead.Run r : runs) {
                System.out.printf("%-18s %12.2f %12.1f %8.1fx%n", r.method(), r.seconds(), r.mergekitSeconds(),
                        r.speedup());
            }
            return 0;
        }
    }
}
