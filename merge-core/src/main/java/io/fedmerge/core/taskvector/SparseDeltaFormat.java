package io.fedmerge.core.taskvector;

/**
 * {@code fedmerge-sparse-v1}: a sparsified float32 task vector for the wire, lossy by the hospital's choice
 * ({@link Sparsification}), recorded in the task vector's metadata (docs/FORMATS.md). Only the kept values travel,
 * with their positions: per tensor and per chunk of {@link #CHUNK_ELEMENTS} elements, a bitmap of the nonzero
 * elements (bit i of byte i/8, least significant first) and then the nonzero values' float32 bits split into four
 * byte planes, each plane zstd-compressed or raw ({@link BytePlanes}).
 *
 * <pre>
 * "FMSPRS1\0"                     8 bytes
 * u32 header length, header       JSON: format, base_digest, chunk_elements, metadata (of the task vector it decodes
 *                                 to: fedmerge.method, fedmerge.density, fedmerge.seed), tensors [{name, elements}]
 *                                 in the base's order
 * per tensor, per chunk:          bitmap plane (⌈len/8⌉ bytes), 4 value planes (nonzero-in-chunk bytes each)
 * </pre>
 *
 * Decoding gives the dense float32 task vector with zeros where values were dropped, bit for bit the values the
 * sender kept (a kept −0.0 too: "nonzero" means any bit set).
 */
public final class SparseDeltaFormat {
    static final byte[] MAGIC = {'F', 'M', 'S', 'P', 'R', 'S', '1', 0};
    static final String NAME = "fedmerge-sparse-v1";
    public static final int CHUNK_ELEMENTS = 1 << 20;

    private SparseDeltaFormat() {}
}
