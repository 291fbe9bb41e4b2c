package io.fedmerge.core.generate;

import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.TensorSpec;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.tensor.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Writes a synthetic Mistral-shaped base checkpoint and K "hospital" fine-tunes. Each fine-tune's delta mixes a
 * component shared by all hospitals (scaled by a per-hospital factor that is negative for some, so signs conflict)
 * with a private one, so every merge method has agreement and conflict to work on. Values come from a counter-based
 * hash of (seed, tensor, element): any slice can be generated independently, in parallel, reproducibly.
 */
public final class CheckpointGenerator {
    /** Per-hospital factor on the shared component; the third hospital disagrees with the others. */
    private static final float[] SHARED_FACTOR = {1.0f, 0.7f, -0.5f, 0.9f, -0.3f, 0.6f, 0.8f, -0.7f};
    private static final int SLICE = 1 << 20;

    /**
     * @param deltaScale size of the fine-tunes' changes to weight matrices, relative to the base's values (0.1: the
     *     default, fine-tunes that differ a lot; smaller ones are closer to what real fine-tuning does)
     */
    public record Options(ModelShape shape, int variants, long seed, DType dtype, long shardBytes, int extraVocab,
            int threads, double deltaScale) {
        public static final double DEFAULT_DELTA_SCALE = 0.1;

        public Options(ModelShape shape, int variants, long seed, DType dtype, long shardBytes, int extraVocab,
                int threads) {
            this(shape, variants, seed, dtype, shardBytes, extraVocab, threads, DEFAULT_DELTA_SCALE);
        }
    }

    public record Generated(Path base, List<Path> variants, long bytesPerModel) {}

    /** Where {@link #generate} puts the base and the fine-tunes: {@code outDir/base}, {@code outDir/hospital-1..K}. */
    public static List<Path> modelDirs(Path outDir, int variants) {
        List<Path> dirs = new ArrayList<>(List.of(outDir.resolve("base")));
        for (int v = 1; v <= variants; v++) {
            dirs.add(outDir.resolve("hospital-" + v));
        }
        return dirs;
    }

    public Generated generate(Path outDir, Options o, MergeProgress progress) {
        List<TensorSpec> baseSpecs = o.shape().tensors(o.dtype(), 0);
        List<TensorSpec> variantSpecs = o.shape().tensors(o.dtype(), o.extraVocab());
        List<Path> dirs = modelDirs(outDir, o.variants());
        Path basePath = dirs.getFirst();
        List<Path> variantPaths = List.copyOf(dirs.subList(1, dirs.size()));
        List<CheckpointWriter> writers = new ArrayList<>();
        Map<String, String> meta = Map.of("format", "pt", "fedmerge.generated_seed", String.valueOf(o.seed()));
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, o.threads()));
        try {
            writers.add(new CheckpointWriter(basePath, baseSpecs, o.shardBytes(), meta));
            for (Path p : variantPaths) {
                writers.add(new CheckpointWriter(p, variantSpecs, o.shardBytes(), meta));
            }
            long total = baseSpecs.stream().mapToLong(TensorSpec::byteLength).sum();
            progress.started(baseSpecs.size(), total);
            long done = 0;
            for (int t = 0; t < baseSpecs.size(); t++) {
                writeTensor(o, variantSpecs.get(t), writers, pool);
                done += baseSpecs.get(t).byteLength();
                progress.tensorDone(baseSpecs.get(t).name(), t + 1, done);
            }
            for (CheckpointWriter w : writers) {
                w.addFile("config.json", o.shape().configJson(o.dtype()));
                w.addFile("tokenizer_config.json", "{\n  \"model_max_length\": 32768,\n  \"bos_token\": \"<s>\","
                        + "\n  \"eos_token\": \"</s>\",\n  \"unk_token\": \"<unk>\"\n}\n");
                w.addFile("generation_config.json", "{\n  \"bos_token_id\": 1,\n  \"eos_token_id\": 2\n}\n");
            }
            for (CheckpointWriter w : writers) {
                w.commit();
            }
            return new Generated(basePath, variantPaths, total);
        } catch (RuntimeException e) {
            writers.forEach(CheckpointWriter::abort);
            throw e;
        } finally {
            pool.shutdownNow();
        }
    }

    private void writeTensor(Options o, TensorSpec spec, List<CheckpointWriter> writers, ExecutorService pool) {
        long n = spec.elementCount();
        long baseElements = spec.name().contains("embed_tokens") || spec.name().contains("lm_head")
                ? n - (long) o.extraVocab() * spec.shape()[1] : n;
        boolean norm = spec.name().endsWith("norm.weight");
        long tensorSeed = o.seed() * 0x9E3779B97F4A7C15L + spec.name().hashCode();
        List<Future<?>> futures = new ArrayList<>();
        for (long first = 0; first < n; first += SLICE) {
            long f = first;
            int len = (int) Math.min(SLICE, n - first);
            futures.add(pool.submit(() -> writeSlice(o, spec, writers, tensorSeed, norm, baseElements, f, len)));
        }
        try {
            for (Future<?> fu : futures) {
                fu.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("generation interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        }
    }

    private void writeSlice(Options o, TensorSpec spec, List<CheckpointWriter> writers, long seed, boolean norm,
            long baseElements, long first, int len) {
        float[] base = new float[len];
        float[] out = new float[len];
        float[] shared = new float[len];
        for (int i = 0; i < len; i++) {
            long k = first + i;
            base[i] = norm ? 1f + 0.05f * noise(seed, k) : 0.02f * noise(seed, k);
            shared[i] = noise(seed ^ 0x5DEECE66DL, k);
        }
        if (first < baseElements) {
            writers.getFirst().write(spec.name(), first, base, (int) Math.min(len, baseElements - first));
        }
        // Base weights are 0.02·noise, norms 1 + 0.05·noise: the default 0.1 gives the 0.002 and 0.01 of old.
        float scale = (float) (o.deltaScale() * (norm ? 0.1 : 0.02));
        for (int v = 1; v < writers.size(); v++) {
            long variantSeed = seed + 0x632BE59BD9B4E019L * v;
            float a = SHARED_FACTOR[(v - 1) % SHARED_FACTOR.length];
            for (int i = 0; i < len; i++) {
                out[i] = base[i] + scale * (a * shared[i] + noise(variantSeed, first + i));
            }
            writers.get(v).write(spec.name(), first, out, len);
        }
    }

    /** A deterministic value in (-1, 1), roughly bell-shaped (sum of two uniforms), from (seed, k). */
    static float noise(long seed, long k) {
        long z = seed + (k + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        float u1 = (z >>> 40) * 0x1.0p-24f;
        float u2 = ((z >>> 16) & 0xFFFFFF) * 0x1.0p-24f;
        return u1 + u2 - 1f;
    }

}
