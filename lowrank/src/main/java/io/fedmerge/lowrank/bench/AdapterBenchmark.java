package io.fedmerge.lowrank.bench;

import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.config.MergeConfigParser;
import io.fedmerge.core.generate.AdapterGenerator;
import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.FileTrees;
import io.fedmerge.core.method.MethodRegistry;
import io.fedmerge.core.plan.MergeExecutor;
import io.fedmerge.core.plan.MergePlan;
import io.fedmerge.core.plan.MergePlanner;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.taskvector.SparseDeltaEncoder;
import io.fedmerge.core.taskvector.Sparsification;
import io.fedmerge.core.taskvector.TaskVectorBuilder;
import io.fedmerge.core.taskvector.XorDeltaEncoder;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.lowrank.StackedFactors;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.ejml.data.DMatrixRMaj;

/**
 * What LoRA support changes, measured on Mistral-7B-shaped models in one run: the bytes a contribution puts on the
 * wire (float32 task vector, XOR-coded fine-tune, opt-in sparsified task vectors, the adapter itself), for a generated dense fine-tune and for an
 * adapter materialised into a full bf16 fine-tune; the wall clock of a task-arithmetic merge of K adapters against
 * the same merge of their materialised fine-tunes; and the time to truncate a merged adapter on a 4096 × 4096
 * target from its stacked factors.
 */
public final class AdapterBenchmark {
    public record Options(ModelShape shape, int variants, int rank, int threads, Path work) {}

    /** One way of sending a fine-tune, and its size relative to the fine-tune's own stored bytes. */
    public record Wire(String what, long bytes, double ratioToFineTune) {}

    public record Report(int layers, long fineTuneBytes, List<Wire> wire, double adapterMergeSeconds,
            double denseMergeSeconds, double truncateMillis, int truncateFrom, int truncateTo) {}

    public Report run(Options o, PrintStream log) {
        try {
            Path m = o.work().resolve("models");
            FileTrees.deleteRecursively(o.work());
            Files.createDirectories(o.work());
            log.printf("generating base + %d fine-tunes and rank-%d adapters (%d layers)%n", o.variants(), o.rank(),
                    o.shape().layers());
            new CheckpointGenerator().generate(m, new CheckpointGenerator.Options(o.shape(), o.variants(), 11,
                    DType.BF16, CheckpointWriter.DEFAULT_SHARD_BYTES, 0, o.threads()), MergeProgress.NONE);
            List<Path> adapters = new AdapterGenerator().generate(m.resolve("base"), m, new AdapterGenerator.Options(
                    o.rank(), 2.0 * o.rank(), AdapterGenerator.MISTRAL_TARGETS, o.variants(), 12, DType.BF16));
            List<Path> materialised = new ArrayList<>();
            for (int v = 1; v <= o.variants(); v++) {
                materialised.add(merge(o, m, "materialise-" + v, List.of("adapter-" + v), 1.0));
            }
            long tunedBytes = tensorBytes(m.resolve("hospital-1"));
            List<Wire> wire = new ArrayList<>();
            Path tv = o.work().resolve("hospital-1.tv.safetensors");
            new TaskVectorBuilder().build(m.resolve("base"), m.resolve("hospital-1"), tv, DType.F32, MergeProgress.NONE);
            wire.add(new Wire("dense fine-tune, float32 task vector (before)", Files.size(tv), 0));
            Files.delete(tv);
            XorDeltaEncoder.Result x = new XorDeltaEncoder().encode(m.resolve("base"), m.resolve("hospital-1"),
                    o.work().resolve("hospital-1.fmxor"));
            wire.add(new Wire("dense fine-tune, XOR-coded", x.bytes(), 0));
            for (double density : new double[] {0.1, 0.01}) {
                SparseDeltaEncoder.Result sp = new SparseDeltaEncoder().encode(m.resolve("base"),
                        m.resolve("hospital-1"), o.work().resolve("hospital-1-" + density + ".fmsparse"),
                        new Sparsification(Sparsification.Kind.MAGNITUDE, density, 0), x.baseDigest());
                wire.add(new Wire("dense fine-tune, lossy: magnitude, density " + density, sp.bytes(), 0));
            }
            XorDeltaEncoder.Result xa = new XorDeltaEncoder().encode(m.resolve("base"), materialised.getFirst(),
                    o.work().resolve("materialised-1.fmxor"));
            wire.add(new Wire("adapter materialised to a bf16 fine-tune, XOR-coded", xa.bytes(), 0));
            wire.add(new Wire("the rank-" + o.rank() + " adapter itself (bf16 factors)",
                    Files.size(adapters.getFirst().resolve(LoraAdapter.WEIGHTS_FILE)), 0));
            wire = wire.stream().map(w -> new Wire(w.what(), w.bytes(), w.bytes() / (double) tunedBytes)).toList();
            wire.forEach(w -> log.printf("  %-55s %,15d bytes  %.3f x the fine-tune%n", w.what(), w.bytes(),
                    w.ratioToFineTune()));

            List<String> adapterNames = new ArrayList<>();
            List<String> denseNames = new ArrayList<>();
            for (int v = 1; v <= o.variants(); v++) {
                adapterNames.add("adapter-" + v);
                denseNames.add("materialise-" + v);
            }
            merge(o, m, "warm-up", denseNames, 1.0 / o.variants()); // page cache as the timed runs see it
            long t0 = System.nanoTime();
            merge(o, m, "merged-dense", denseNames, 1.0 / o.variants());
            double dense = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            merge(o, m, "merged-adapters", adapterNames, 1.0 / o.variants());
            double fromAdapters = (System.nanoTime() - t0) / 1e9;
            log.printf("task_arithmetic of %d: fine-tunes %.2f s, adapters %.2f s (%.2f x)%n", o.variants(), dense,
                    fromAdapters, fromAdapters / dense);
            int k = o.variants() * o.rank();
            double millis = truncateMillis(k, o.rank());
            log.printf("truncating a merged 4096 x 4096 adapter module from rank %d to %d: %.1f ms%n", k, o.rank(),
                    millis);
            return new Report(o.shape().layers(), tunedBytes, wire, fromAdapters, dense, millis, k, o.rank());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path merge(Options o, Path models, String out, List<String> names, double weight) {
        StringBuilder yaml = new StringBuilder("merge_method: task_arithmetic\nbase_model: base\nmodels:\n");
        names.forEach(n -> yaml.append("  - model: ").append(n).append("\n    parameters: {weight: ")
                .append(weight).append("}\n"));
        Path target = models.resolve(out);
        FileTrees.deleteRecursively(target);
        try (MergePlan plan = new MergePlanner(new MethodRegistry())
                .plan(MergeConfigParser.parse(yaml.toString(), models))) {
            new MergeExecutor(o.threads()).execute(plan, target, MergeProgress.NONE);
        }
        return target;
    }

    /** Median of 5 truncations of K stacked random factors on a 4096 × 4096 module. */
    private static double truncateMillis(int k, int rank) {
        Random r = new Random(3);
        DMatrixRMaj b = new DMatrixRMaj(4096, k);
        DMatrixRMaj a = new DMatrixRMaj(k, 4096);
        Arrays.setAll(b.data, i -> r.nextGaussian());
        Arrays.setAll(a.data, i -> r.nextGaussian());
        StackedFactors.truncate(b, a, rank); // warm-up
        double[] ms = new double[5];
        for (int i = 0; i < ms.length; i++) {
            long t = System.nanoTime();
            StackedFactors.truncate(b, a, rank);
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ms);
        return ms[2];
    }

    private static long tensorBytes(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".safetensors")).mapToLong(p -> {
                try (Checkpoint c = Checkpoint.open(p)) {
                    return c.totalBytes();
                }
            }).sum();
        }
    }
}
