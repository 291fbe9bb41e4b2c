package io.fedmerge.core.taskvector;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.core.tensor.FloatCodec;
import java.io.DataInputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;

/**
 * Turns a {@link XorDeltaFormat fedmerge-xor-v1} file back into the float32 task vector, with the base in hand:
 * the fine-tune's bits are the stored bits XOR the base's, Δ = float(fine-tune) − float(base) in float32 exactly as
 * {@link TaskVectorBuilder} computes it. Every plane must decode to exactly its chunk's size (no zip bomb: nothing
 * decompresses beyond it); the rest of the checks are {@link EncodedDeltaReader}'s.
 */
public final class XorDeltaDecoder {
    public record Result(Path file, long bytes) {}

    public Result decode(Checkpoint base, Path encoded, Path out) {
        return new Result(out, EncodedDeltaReader.decode(new Format(base), base, encoded, out));
    }

    private record Format(Checkpoint base) implements EncodedDeltaReader.Format {
        @Override
        public byte[] magic() {
            return XorDeltaFormat.MAGIC;
        }

        @Override
        public String name() {
            return XorDeltaFormat.NAME;
        }

        @Override
        public int chunkElements() {
            return XorDeltaFormat.CHUNK_ELEMENTS;
        }

        @Override
        public EncodedDeltaReader.ChunkDecoder tensor(JsonNode t, TensorInfo b, EncodedDeltaReader.Reader reader) {
            DType dtype;
            try {
                dtype = DType.fromSafetensorsName(t.path("dtype").asString(""));
            } catch (FedmergeException e) {
                throw reader.bad("tensor '" + b.name() + "': " + e.getMessage());
            }
            boolean xor = t.path("xor").asBoolean(false);
            if (xor && dtype != b.dtype()) {
                throw reader.bad("tensor '" + b.name() + "' declares " + dtype + " elements XOR the base; the base"
                        + " has " + b.dtype());
            }
            return new Chunks(base, b, dtype, xor, reader);
        }
    }

    /** One tensor's chunks: byte planes, reassembled, XORed with the base's bits, decoded, minus the base. */
    private static final class Chunks implements EncodedDeltaReader.ChunkDecoder {
        private final Checkpoint base;
        private final TensorInfo b;
        private final DType dtype;
        private final boolean xor;
        private final EncodedDeltaReader.Reader reader;
        private byte[] bits;
        private byte[] plane;
        private float[] values;

        Chunks(Checkpoint base, TensorInfo b, DType dtype, boolean xor, EncodedDeltaReader.Reader reader) {
            this.base = base;
            this.b = b;
            this.dtype = dtype;
            this.xor = xor;
            this.reader = reader;
        }

        @Override
        public void decode(DataInputStream in, long first, int len, float[] delta) throws IOException {
            int width = dtype.byteSize();
            if (bits == null) {
                int chunk = (int) Math.min(b.elementCount(), XorDeltaFormat.CHUNK_ELEMENTS);
                bits = new byte[chunk * width];
                plane = new byte[chunk];
                values = new float[chunk];
            }
            for (int k = 0; k < width; k++) {
                BytePlanes.read(in, plane, len, EncodedDeltaReader.where(b.name(), first), reader::bad);
                for (int i = 0; i < len; i++) {
                    bits[i * width + k] = plane[i];
                }
            }
            if (xor) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment s = base.mapElements(b.name(), first, len, arena).segment();
                    for (int i = 0; i < len * width; i++) {
                        bits[i] ^= s.get(ValueLayout.JAVA_BYTE, i);
                    }
                }
            }
            FloatCodec.decode(MemorySegment.ofArray(bits), 0, dtype, delta, 0, len);
            base.readFloats(b.name(), first, len, values);
            for (int i = 0; i < len; i++) {
                delta[i] -= values[i];
            }
        }
    }
}
