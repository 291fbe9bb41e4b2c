package io.fedmerge.core.taskvector;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.TaskVectorFormat;
import io.fedmerge.core.tensor.CounterRng;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.core.tensor.FloatCodec;
import io.fedmerge.core.tensor.RandomMask;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes a fine-tune's task vector, thinned as the hospital chose ({@link Sparsification}), in
 * {@link SparseDeltaFormat fedmerge-sparse-v1}: Δ = float(fine-tune) − float(base) in float32 as
 * {@link TaskVectorBuilder} computes it, chunk by chunk from the mapped checkpoints (the magnitude cut reads each
 * tensor twice more to count), under a temporary name renamed when complete.
 */
public final class SparseDeltaEncoder {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** The random sparsifier's stream is the edge's own, apart from any merge's (MERGE_METHODS §2.5 keys). */
    static final String STREAM = "edge-sparsifier";

    public record Result(Path file, String baseDigest, long bytes, long elements, long kept, List<String> warnings) {}

    /** @param baseDigest the base's digest when the caller already knows it (it costs a full read), else null */
    public Result encode(Path basePath, Path finetunedPath, Path out, Sparsification how, String baseDigest) {
        long[] elements = {0};
        EncodedDeltaWriter.Written w = EncodedDeltaWriter.write(new EncodedDeltaWriter.Format() {
            @Override
            public byte[] magic() {
                return SparseDeltaFormat.MAGIC;
            }

            @Override
            public byte[] header(Checkpoint base, Checkpoint tuned, String digest, List<String> warnings) {
                return SparseDeltaEncoder.header(base, digest, how, warnings);
            }

            @Override
            public long tensor(Checkpoint base, Checkpoint tuned, String name, DataOutputStream o)
                    throws IOException {
                elements[0] += base.info(name).elementCount();
                return new TensorWriter(base, tuned, name, how).write(o);
            }
        }, basePath, finetunedPath, out, baseDigest);
        return new Result(out, w.digest(), w.bytes(), elements[0], w.total(), w.warnings());
    }

    /** The metadata of the task vector this file decodes to: a dense one's, plus how it was thinned. */
    static Map<String, String> metadata(String digest, Sparsification how, List<String> warnings) {
        Map<String, String> meta = TaskVectorBuilder.metadata(digest, DType.F32, warnings);
        meta.put(TaskVectorFormat.METHOD, how.kind().label());
        meta.put(TaskVectorFormat.DENSITY, Double.toString(how.density()));
        if (how.kind() == Sparsification.Kind.RANDOM) {
            meta.put(TaskVectorFormat.SEED, Long.toString(how.seed()));
        }
        return meta;
    }

    private static byte[] header(Checkpoint base, String digest, Sparsification how, List<String> warnings) {
        ObjectNode h = JSON.createObjectNode();
        h.put("format", SparseDeltaFormat.NAME);
        h.put("base_digest", digest);
        h.put("chunk_elements", SparseDeltaFormat.CHUNK_ELEMENTS);
        ObjectNode meta = h.putObject("metadata");
        metadata(digest, how, warnings).forEach(meta::put);
        for (String name : base.tensorNames()) {
            h.withArray("tensors").addObject().put("name", name).put("elements", base.info(name).elementCount());
        }
        return JSON.writeValueAsString(h).getBytes(StandardCharsets.UTF_8);
    }

    /** One tensor: Δ chunk by chunk, thinned, written as a bitmap and the kept values' byte planes. */
    private static final class TensorWriter {
        private final Checkpoint base;
        private final Checkpoint tuned;
        private final String name;
        private final Sparsification how;
        private final long n;
        private final float[] delta;
        private final float[] b;

        TensorWriter(Checkpoint base, Checkpoint tuned, String name, Sparsification how) {
            this.base = base;
            this.tuned = tuned;
            this.name = name;
            this.how = how;
            this.n = base.info(name).elementCount();
            int chunk = (int) Math.min(n, SparseDeltaFormat.CHUNK_ELEMENTS);
            this.delta = new float[chunk];
            this.b = new float[chunk];
        }

        /** @return the elements sent (nonzero after thinning) */
        long write(DataOutputStream o) throws IOException {
            int chunk = delta.length;
            byte[] bitmap = new byte[(chunk + 7) / 8];
            byte[] plane = new byte[chunk];
            byte[] scratch = BytePlanes.scratch(chunk);
            float[] values = new float[chunk];
            MagnitudeCut cut = how.kind() == Sparsification.Kind.MAGNITUDE
                    ? MagnitudeCut.keepLargest(n, (long) Math.floor(how.density() * n), this::forEachChunk)
                    : null;
            CounterRng rng = CounterRng.forTensor(how.seed(), name, STREAM);
            float rescale = (float) (1.0 / how.density());
            long[] ties = {0};
            long kept = 0;
            for (long first = 0; first < n; first += chunk) {
                int len = (int) Math.min(chunk, n - first);
                readDelta(first, len);
                if (cut != null) {
                    cut.apply(delta, len, ties);
                } else {
                    RandomMask.apply(rng, how.density(), first, delta, len);
                }
                java.util.Arrays.fill(bitmap, (byte) 0);
                int m = 0;
                for (int i = 0; i < len; i++) {
                    if (Float.floatToRawIntBits(delta[i]) != 0) {
                        bitmap[i >>> 3] |= (byte) (1 << (i & 7));
                        values[m++] = cut != null ? delta[i] : delta[i] * rescale;
                    }
                }
                BytePlanes.write(o, bitmap, (len + 7) / 8, scratch);
                for (int k = 0; k < 4; k++) {
                    for (int i = 0; i < m; i++) {
                        plane[i] = (byte) (Float.floatToRawIntBits(values[i]) >>> (8 * k));
                    }
                    BytePlanes.write(o, plane, m, scratch);
                }
                kept += m;
            }
            return kept;
        }

        private void forEachChunk(MagnitudeCut.ChunkSink sink) {
            for (long first = 0; first < n; first += delta.length) {
                int len = (int) Math.min(delta.length, n - first);
                readDelta(first, len);
                sink.accept(delta, len);
            }
        }

        private void readDelta(long first, int len) {
            tuned.readFloats(name, first, len, delta);
            base.readFloats(name, first, len, b);
            for (int i = 0; i < len; i++) {
                delta[i] -= b[i];
            }
            int bad = FloatCodec.firstNonFinite(delta, len);
            if (bad >= 0) {
                throw new FedmergeException("tensor '" + name + "' element " + (first + bad) + " of the fine-tune"
                        + " minus the base is " + delta[bad] + "; a task vector must be finite (check the fine-tune)");
            }
        }
    }
}
