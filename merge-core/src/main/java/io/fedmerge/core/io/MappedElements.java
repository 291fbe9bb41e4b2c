package io.fedmerge.core.io;

import io.fedmerge.core.tensor.DType;
import io.fedmerge.core.tensor.FloatCodec;
import java.lang.foreign.MemorySegment;

/** A mapped run of a tensor's elements, decoded to float32 on demand, block by block. */
public record MappedElements(MemorySegment segment, DType dtype) {

    /** Decodes elements [offset, offset + count) of this run into {@code dst[0, count)}. */
    public void decode(int offset, int count, float[] dst) {
        FloatCodec.decode(segment, (long) offset * dtype.byteSize(), dtype, dst, 0, count);
    }
}
