package io.fedmerge.core.taskvector;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.tensor.DType;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes a fine-tune as {@link XorDeltaFormat fedmerge-xor-v1} against its base, chunk by chunk from the mapped
 * checkpoints (one chunk of each in memory), under a temporary name renamed when complete.
 */
public final class XorDeltaEncoder {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    public record Result(Path file, String baseDigest, long bytes, long finetunedBytes, List<String> warnings) {}

    public Result encode(Path basePath, Path finetunedPath, Path out) {
        return encode(basePath, finetunedPath, out, null);
    }

    /** @param baseDigest the base's digest when the caller already knows it (it costs a full read), else null */
    public Result encode(Path basePath, Path finetunedPath, Path out, String baseDigest) {
        EncodedDeltaWriter.Written w = EncodedDeltaWriter.write(new EncodedDeltaWriter.Format() {
            @Override
            public byte[] magic() {
                return XorDeltaFormat.MAGIC;
            }

            @Override
            public byte[] header(Checkpoint base, Checkpoint tuned, String digest, List<String> warnings) {
                return XorDeltaEncoder.header(base, tuned, digest, warnings);
            }

            @Override
            public long tensor(Checkpoint base, Checkpoint tuned, String name, DataOutputStream o)
                    throws IOException {
                return encodeTensor(base, tuned, name, o);
            }
        }, basePath, finetunedPath, out, baseDigest);
        return new Result(out, w.digest(), w.bytes(), w.total(), w.warnings());
    }

    private static byte[] header(Checkpoint base, Checkpoint tuned, String digest, List<String> warnings) {
        ObjectNode h = JSON.createObjectNode();
        h.put("format", XorDeltaFormat.NAME);
        h.put("base_digest", digest);
        h.put("chunk_elements", XorDeltaFormat.CHUNK_ELEMENTS);
        ObjectNode meta = h.putObject("metadata");
        TaskVectorBuilder.metadata(digest, DType.F32, warnings).forEach(meta::put);
        for (String name : base.tensorNames()) {
            ObjectNode t = h.withArray("tensors").addObject();
            t.put("name", name);
            t.put("dtype", tuned.info(name).dtype().name());
            t.put("elements", base.info(name).elementCount());
            t.put("xor", tuned.info(name).dtype() == base.info(name).dtype());
        }
        return JSON.writeValueAsString(h).getBytes(StandardCharsets.UTF_8);
    }

    /** @return the fine-tune's stored bytes of this tensor that were encoded */
    private static long encodeTensor(Checkpoint base, Checkpoint tuned, String name, DataOutputStream o)
            throws IOException {
        TensorInfo b = base.info(name);
        DType dtype = tuned.info(name).dtype();
        boolean xor = dtype == b.dtype();
        int width = dtype.byteSize();
        long n = b.elementCount();
        byte[] bits = new byte[(int) Math.min(n, XorDeltaFormat.CHUNK_ELEMENTS) * width];
        byte[] plane = new byte[(int) Math.min(n, XorDeltaFormat.CHUNK_ELEMENTS)];
        byte[] scratch = BytePlanes.scratch(plane.length);
        for (long first = 0; first < n; first += XorDeltaFormat.CHUNK_ELEMENTS) {
            int len = (int) Math.min(XorDeltaFormat.CHUNK_ELEMENTS, n - first);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment t = tuned.mapElements(name, first, len, arena).segment();
                MemorySegment.copy(t, ValueLayout.JAVA_BYTE, 0, bits, 0, len * width);
                if (xor) {
                    MemorySegment s = base.mapElements(name, first, len, arena).segment();
                    for (int i = 0; i < len * width; i++) {
                        bits[i] ^= s.get(ValueLayout.JAVA_BYTE, i);
                    }
                }
            }
            for (int k = 0; k < width; k++) {
                for (int i = 0; i < len; i++) {
                    plane[i] = bits[i * width + k];
                }
                BytePlanes.write(o, plane, len, scratch);
            }
        }
        return n * width;
    }
}
