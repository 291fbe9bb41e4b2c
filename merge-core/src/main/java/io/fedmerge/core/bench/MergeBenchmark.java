package io.fedmerge.core.bench;

import io.fedmerge.core.config.MergeConfigParser;
import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.FileTrees;
import io.fedmerge.core.io.SafetensorsFile;
import io.fedmerge.core.io.SafetensorsWriter;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.io.TensorSpec;
import io.fedmerge.core.method.MethodRegistry;
import io.fedmerge.core.plan.MergeExecutor;
import io.fedmerge.core.plan.MergePlan;
import io.fedmerge.core.plan.MergePlanner;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.plan.TensorMergeRunner;
import io.fedmerge.core.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Merge throughput against the physical limit of the same machine, measured in one run: first a plain copy that
 * reads every input byte (base and fine-tunes) and writes an output of the merged size, then each method on the same
 * inputs. Ratios to the copy are what to compare across machines; absolute MB/s on a shared box are noise.
 *
 * <p>With {@code cold}, the limit is the disk instead: the page cache is emptied, every input file is read once in
 * order (as {@code cat} would), and each method then runs after emptying the cache again; its ratio to that cold read
 * is what a merge of models larger than memory costs over reading them.
 */
public final class MergeBenchmark {
    private static final long COPY_CHUNK = 8L << 20;

    public record Options(ModelShape shape, int variants, int threads, Path work, List<String> methods,
            boolean keepModels, boolean cold) {}

    /** @param ratioToColdRead seconds over the cold read of the inputs; 0 unless the run was cold */
    public record Run(String name, double seconds, double ratioToCopy, double ratioToColdRead, long peakRssBytes) {}

    /** @param coldReadSeconds reading every input once from an empty page cache; 0 unless the run was cold */
    public record Report(long inputBytes, long outputBytes, int layers, double copySeconds, long copyPeakRssBytes,
            double coldReadSeconds, List<Run> runs) {
        public double copyMBps() {
            return (inputBytes + outputBytes) / 1e6 / copySeconds;
        }
    }

    public Report run(Options o, java.io.PrintStream log) {
        try {
            if (o.cold()) {
                PageCache.requireDroppable(); // before minutes of generating and copying, not after
            }
            Files.createDirectories(o.work());
            Path models = o.work().resolve("models");
            if (!Files.isDirectory(models.resolve("base"))) {
                log.printf("generating base + %d fine-tunes (%d layers) in %s%n", o.variants(), o.shape().layers(),
                        models);
                new CheckpointGenerator().generate(models, new CheckpointGenerator.Options(o.shape(), o.variants(),
                        7, DType.BF16, CheckpointWriter.DEFAULT_SHARD_BYTES, 0, o.threads()), MergeProgress.NONE);
            }
            List<Path> inputs = CheckpointGenerator.modelDirs(models, o.variants());
            warmUp(o, log);
            copy(inputs, o.work().resolve("copy-warmup"), o.threads()); // fills the page cache like the runs see it
            PeakRss.reset();
            long t0 = System.nanoTime();
            long[] bytes = copy(inputs, o.work().resolve("copy"), o.threads());
            double copySeconds = (System.nanoTime() - t0) / 1e9;
            long copyRss = PeakRss.peakBytes();
            log.printf("copy: %.2f s, %.0f MB/s (read %d MB, wrote %d MB)%n", copySeconds,
                    (bytes[0] + bytes[1]) / 1e6 / copySeconds, bytes[0] / 1_000_000, bytes[1] / 1_000_000);
            double coldRead = o.cold() ? coldRead(inputs, log) : 0;
            List<Run> runs = new ArrayList<>();
            for (String method : o.methods()) {
                if (o.cold()) {
                    PageCache.drop();
                }
                Run r = merge(method, models, o, copySeconds, coldRead);
                log.printf("%-16s %.2f s, ratio to copy %.2f%s, peak RSS %d MB%n", method, r.seconds(),
                        r.ratioToCopy(), o.cold() ? String.format(", to the cold read %.2f", r.ratioToColdRead()) : "",
                        r.peakRssBytes() / 1_000_000);
                runs.add(r);
            }
            if (!o.keepModels()) {
                FileTrees.deleteRecursively(models);
            }
            return new Report(bytes[0], bytes[1], o.shape().layers(), copySeconds, copyRss, coldRead, runs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs every method once on a small model so the JIT has compiled the kernels before anything is timed: the
     * steady state is what a multi-GB merge sees; the one-off warm-up of a fresh process is reported separately.
     */
    private void warmUp(Options o, java.io.PrintStream log) throws IOException {
        Path models = o.work().resolve("warmup-models");
        if (!Files.isDirectory(models.resolve("base"))) {
            new CheckpointGenerator().generate(models, new CheckpointGenerator.Options(ModelShape.preset("small"),
                    o.variants(), 3, DType.BF16, CheckpointWriter.DEFAULT_SHARD_BYTES, 0, o.threads()),
                    MergeProgress.NONE);
        }
        long t0 = System.nanoTime();
        for (String method : o.methods()) {
            merge(method, models, o, 1, 0);
        }
        log.printf("warm-up: every method once on the small preset, %.2f s%n", (System.nanoTime() - t0) / 1e9);
        if (!o.keepModels()) {
            FileTrees.deleteRecursively(models);
        }
    }

    private Run merge(String method, Path models, Options o, double copySeconds, double coldRead) throws IOException {
        Files.writeString(models.resolve(method + ".yml"), config(method, o.variants()));
        Path config = models.resolve(method + ".yml");
        Path out = models.resolveSibling("out-" + method);
        FileTrees.deleteRecursively(out);
        System.gc();
        PeakRss.reset();
        long t0 = System.nanoTime();
        try (MergePlan plan = new MergePlanner(new MethodRegistry()).plan(MergeConfigParser.parse(config))) {
            new MergeExecutor(o.threads(), CheckpointWriter.DEFAULT_SHARD_BYTES,
                    TensorMergeRunner.DEFAULT_SLICE_ELEMENTS).execute(plan, out, MergeProgress.NONE);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long rss = PeakRss.peakBytes();
        FileTrees.deleteRecursively(out);
        return new Run(method, seconds, copySeconds / seconds, coldRead > 0 ? seconds / coldRead : 0, rss);
    }

    /** Empties the page cache and reads every file of the inputs once, in order; returns the seconds it took. */
    private static double coldRead(List<Path> inputs, java.io.PrintStream log) throws IOException {
        PageCache.drop();
        long t0 = System.nanoTime();
        long bytes = PageCache.readAll(inputs);
        double seconds = (System.nanoTime() - t0) / 1e9;
        log.printf("cold read: %.2f s for %d MB (%.0f MB/s) after emptying the page cache%n", seconds,
                bytes / 1_000_000, bytes / 1e6 / seconds);
        return seconds;
    }

    /**
     * The benchmark's config for a method, with the paper's settings where it gives them (DARE and DELLA at density
     * 0.6, DELLA ε 0.05, Breadcrumbs 0.9/0.01). {@code hierarchical} and {@code hierarchical_ot} are the paper's
     * method without and with head alignment.
     */
    static String config(String method, int variants) {
        String name = method.startsWith("hierarchical") ? "hierarchical_cosine_ot_lerp" : method;
        String perModel = switch (method) {
            case "linear", "task_arithmetic" -> "";
            case "breadcrumbs", "breadcrumbs_ties" -> ", density: 0.9, gamma: 0.01";
            case "della", "della_linear" -> ", density: 0.6, epsilon: 0.05";
            case "hierarchical", "hierarchical_ot" -> "";
            default -> ", density: 0.6";
        };
        String global = switch (method) {
            case "hierarchical" -> "parameters: {ot: false}\n";
            case "hierarchical_ot" -> "parameters: {ot: true}\n";
            default -> "";
        };
        StringBuilder yaml = new StringBuilder("merge_method: " + name + "\nbase_model: base\nmodels:\n");
        double w = 1.0 / variants;
        for (int v = 1; v <= variants; v++) {
            yaml.append("  - model: hospital-").append(v).append("\n    parameters: {weight: ").append(w)
                    .append(perModel).append("}\n");
        }
        return yaml.append(global).toString();
    }

    /** Reads every tensor byte of every input and writes the base's bytes to a new file; returns {read, written}. */
    static long[] copy(List<Path> inputs, Path outDir, int threads) throws IOException {
        FileTrees.deleteRecursively(outDir);
        Files.createDirectories(outDir);
        List<Checkpoint> cps = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (Path p : inputs) {
                cps.add(Checkpoint.open(p));
            }
            Checkpoint base = cps.getFirst();
            List<TensorSpec> specs = new ArrayList<>();
            for (String n : base.tensorNames()) {
                TensorInfo t = base.info(n);
                specs.add(new TensorSpec(n, t.dtype(), t.shape()));
            }
            long read = 0;
            // Reused per thread, so the copy leaves no garbage to inflate the next run's resident memory.
            ThreadLocal<byte[]> buffers = ThreadLocal.withInitial(() -> new byte[(int) COPY_CHUNK]);
            try (SafetensorsWriter w = new SafetensorsWriter(outDir.resolve("model.safetensors"), specs, Map.of())) {
                for (String n : base.tensorNames()) {
                    read += copyTensor(cps, n, w, pool, buffers);
                }
                w.sync();
            }
            return new long[] {read, base.totalBytes()};
        } finally {
            pool.shutdownNow();
            cps.forEach(Checkpoint::close);
            FileTrees.deleteRecursively(outDir);
        }
    }

    private static long copyTensor(List<Checkpoint> cps, String name, SafetensorsWriter w, ExecutorService pool,
            ThreadLocal<byte[]> buffers) {
        TensorInfo t = cps.getFirst().info(name);
        long chunk = COPY_CHUNK;
        List<Future<?>> futures = new ArrayList<>();
        for (long off = 0; off < t.byteLength(); off += chunk) {
            long o = off;
            long len = Math.min(chunk, t.byteLength() - off);
            futures.add(pool.submit(() -> {
                byte[] buf = buffers.get();
                for (int i = cps.size() - 1; i >= 0; i--) {
                    SafetensorsFile f = cps.get(i).fileOf(name);
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment seg = f.map(f.tensor(name), o, len, arena);
                        MemorySegment.copy(seg, 0, MemorySegment.ofArray(buf), 0, len);
                    }
                }
                w.writeRaw(name, o, ByteBuffer.wrap(buf, 0, (int) len));
            }));
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (Exception e) {
                throw new IllegalStateException("copy failed", e);
            }
        }
        return t.byteLength() * cps.size();
    }
}
