package io.fedmerge.core.taskvector;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import io.fedmerge.core.FedmergeException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.function.Function;

/**
 * One stored plane of the contribution formats ({@link XorDeltaFormat}, {@link SparseDeltaFormat}): u8 codec
 * (0 raw, 1 zstd), u32 stored length (little-endian), the stored bytes. A plane is compressed only when that makes
 * it smaller, so it never costs more than its raw bytes plus 5. Reading trusts nothing: a plane must decode to
 * exactly the size the reader expects, and zstd never writes beyond it (no decompression bomb).
 */
final class BytePlanes {
    static final byte RAW = 0;
    static final byte ZSTD = 1;
    /** zstd level: 3 is zstd's default, fast enough to keep up with a disk on one core. */
    static final int LEVEL = 3;

    private BytePlanes() {}

    /** A scratch buffer large enough to compress a plane of {@code maxLength} bytes. */
    static byte[] scratch(int maxLength) {
        return new byte[(int) Zstd.compressBound(maxLength)];
    }

    static void write(DataOutputStream o, byte[] plane, int len, byte[] scratch) throws IOException {
        long size = Zstd.compressByteArray(scratch, 0, scratch.length, plane, 0, len, LEVEL);
        if (Zstd.isError(size)) {
            throw new IllegalStateException("zstd: " + Zstd.getErrorName(size));
        }
        if (size < len) {
            o.writeByte(ZSTD);
            o.writeInt(Integer.reverseBytes((int) size));
            o.write(scratch, 0, (int) size);
        } else {
            o.writeByte(RAW);
            o.writeInt(Integer.reverseBytes(len));
            o.write(plane, 0, len);
        }
    }

    /**
     * Reads a plane that must hold exactly {@code len} bytes into {@code plane}.
     *
     * @param where names the plane in messages (tensor, chunk)
     * @param bad turns a problem into the caller's format-specific error
     */
    static void read(DataInputStream in, byte[] plane, int len, String where,
            Function<String, FedmergeException> bad) throws IOException {
        byte codec = in.readByte();
        int stored = Integer.reverseBytes(in.readInt());
        if (codec == RAW) {
            if (stored != len) {
                throw bad.apply(where + ": a raw plane of " + stored + " bytes, expected " + len);
            }
            in.readFully(plane, 0, len);
            return;
        }
        if (codec != ZSTD || stored <= 0 || stored > Zstd.compressBound(len)) {
            throw bad.apply(where + ": plane codec " + codec + " with " + Integer.toUnsignedString(stored)
                    + " stored bytes is not a valid plane");
        }
        byte[] packed = new byte[stored];
        in.readFully(packed);
        long size;
        try {
            size = Zstd.decompressByteArray(plane, 0, len, packed, 0, stored);
        } catch (ZstdException e) {
            throw bad.apply(where + ": the zstd plane is corrupt (" + e.getMessage() + ")");
        }
        if (Zstd.isError(size) || size != len) {
            throw bad.apply(where + ": the zstd plane " + (Zstd.isError(size) ? "is corrupt ("
                    + Zstd.getErrorName(size) + ")" : "holds " + size + " bytes, expected " + len));
        }
    }
}
