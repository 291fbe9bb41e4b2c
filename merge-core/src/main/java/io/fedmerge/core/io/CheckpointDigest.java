package io.fedmerge.core.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The identity of a model: SHA-256 over every tensor's name, dtype, shape and bytes, in name order. It does not
 * depend on how the checkpoint is sharded or on the order of tensors in files, so a hub can tell that a task vector
 * was made against exactly the base it holds. Encoding (docs/FORMATS.md):
 *
 * <pre>
 * "fedmerge-digest-v1\n" then, per tensor sorted by UTF-8 name bytes:
 *   u32 name length, name, u8 dtype length, dtype name, u32 rank, rank x u64 dims, u64 byte length, bytes
 * (all integers little-endian)
 * </pre>
 */
public final class CheckpointDigest {
    private static final long CHUNK = 16L << 20;

    private CheckpointDigest() {}

    public static String of(Checkpoint checkpoint) {
        MessageDigest sha = sha256();
        sha.update("fedmerge-digest-v1\n".getBytes(StandardCharsets.UTF_8));
        List<String> names = new ArrayList<>(checkpoint.tensorNames());
        names.sort((a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));
        for (String name : names) {
            TensorInfo t = checkpoint.info(name);
            sha.update(describe(t));
            SafetensorsFile file = checkpoint.fileOf(name);
            for (long off = 0; off < t.byteLength(); off += CHUNK) {
                long len = Math.min(CHUNK, t.byteLength() - off);
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment seg = file.map(t, off, len, arena);
                    sha.update(seg.asByteBuffer());
                }
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static ByteBuffer describe(TensorInfo t) {
        byte[] name = t.name().getBytes(StandardCharsets.UTF_8);
        byte[] dtype = t.dtype().name().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(4 + name.length + 1 + dtype.length + 4 + 8 * t.rank() + 8)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(name.length).put(name).put((byte) dtype.length).put(dtype).putInt(t.rank());
        for (long d : t.shape()) {
            b.putLong(d);
        }
        return b.putLong(t.byteLength()).flip();
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK ships SHA-256", e);
        }
    }
}
