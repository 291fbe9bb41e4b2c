package io.fedmerge.core.taskvector;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.TensorInfo;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import tools.jackson.databind.JsonNode;

/**
 * Turns a {@link SparseDeltaFormat fedmerge-sparse-v1} file into the dense float32 task vector it stands for: zeros
 * where the sender dropped values, the kept values bit for bit. A bitmap must mark no element beyond its chunk, and
 * each value plane must hold exactly as many bytes as the bitmap has bits set; the rest of the checks are
 * {@link EncodedDeltaReader}'s.
 */
public final class SparseDeltaDecoder {
    public record Result(Path file, long bytes) {}

    public Result decode(Checkpoint base, Path encoded, Path out) {
        return new Result(out, EncodedDeltaReader.decode(FORMAT, base, encoded, out));
    }

    private static final EncodedDeltaReader.Format FORMAT = new EncodedDeltaReader.Format() {
        @Override
        public byte[] magic() {
            return SparseDeltaFormat.MAGIC;
        }

        @Override
        public String name() {
            return SparseDeltaFormat.NAME;
        }

        @Override
        public int chunkElements() {
            return SparseDeltaFormat.CHUNK_ELEMENTS;
        }

        @Override
        public EncodedDeltaReader.ChunkDecoder tensor(JsonNode entry, TensorInfo b, EncodedDeltaReader.Reader reader) {
            return new Chunks(b, reader);
        }
    };

    private static final class Chunks implements EncodedDeltaReader.ChunkDecoder {
        private final TensorInfo b;
        private final EncodedDeltaReader.Reader reader;
        private byte[] bitmap;
        private byte[] plane;
        private int[] bits;

        Chunks(TensorInfo b, EncodedDeltaReader.Reader reader) {
            this.b = b;
            this.reader = reader;
        }

        @Override
        public void decode(DataInputStream in, long first, int len, float[] delta) throws IOException {
            if (bitmap == null) {
                int chunk = (int) Math.min(b.elementCount(), SparseDeltaFormat.CHUNK_ELEMENTS);
                bitmap = new byte[(chunk + 7) / 8];
                plane = new byte[chunk];
                bits = new int[chunk];
            }
            String where = EncodedDeltaReader.where(b.name(), first);
            int bytes = (len + 7) / 8;
            BytePlanes.read(in, bitmap, bytes, where + " (bitmap)", reader::bad);
            if (len % 8 != 0 && (bitmap[bytes - 1] & 0xFF) >>> (len % 8) != 0) {
                throw reader.bad(where + ": the bitmap marks elements beyond the chunk's " + len);
            }
            int m = 0;
            for (int i = 0; i < bytes; i++) {
                m += Integer.bitCount(bitmap[i] & 0xFF);
            }
            Arrays.fill(bits, 0, m, 0);
            for (int k = 0; k < 4; k++) {
                BytePlanes.read(in, plane, m, where + " (value plane " + k + ")", reader::bad);
                for (int i = 0; i < m; i++) {
                    bits[i] |= (plane[i] & 0xFF) << (8 * k);
                }
            }
            int v = 0;
            for (int i = 0; i < len; i++) {
                delta[i] = (bitmap[i >>> 3] & (1 << (i & 7))) != 0 ? Float.intBitsToFloat(bits[v++]) : 0f;
            }
        }
    }
}
