package io.fedmerge.core.taskvector;

/**
 * {@code fedmerge-xor-v1}: a fine-tune relative to its base, lossless, for the wire (docs/FORMATS.md). The receiver
 * holds the base, so the sender ships, per tensor and per chunk of {@link #CHUNK_ELEMENTS} elements, the stored bits
 * of the fine-tune XOR those of the base (or the bits alone when the dtypes differ), split into byte planes — byte
 * k of every element together — each plane zstd-compressed or, when that does not shrink it, raw. A fine-tune
 * shares the base's signs, exponents and high mantissa bits almost everywhere, so the high planes are nearly all
 * zero and compress to almost nothing; the result is never larger than the fine-tune's own bytes plus 5 bytes per
 * plane and chunk.
 *
 * <pre>
 * "FMXOR1\0\0"                    8 bytes
 * u32 header length, header       JSON: base_digest, chunk_elements, metadata (of the task vector it decodes to),
 *                                 tensors [{name, dtype (the fine-tune's), elements, xor}] in the base's order
 * per tensor, per chunk, per plane: u8 codec (0 raw, 1 zstd), u32 stored length, stored bytes ({@link BytePlanes})
 * </pre>
 *
 * Integers are little-endian. Decoding (on the hub, which holds the base) gives exactly the float32 task vector
 * {@link TaskVectorBuilder} writes from the same checkpoints, byte for byte.
 */
public final class XorDeltaFormat {
    static final byte[] MAGIC = {'F', 'M', 'X', 'O', 'R', '1', 0, 0};
    static final String NAME = "fedmerge-xor-v1";
    public static final int CHUNK_ELEMENTS = 1 << 20;

    private XorDeltaFormat() {}
}
