package io.fedmerge.core.io;

import io.fedmerge.core.tensor.DType;
import io.fedmerge.core.tensor.FloatCodec;
import java.lang.foreign.MemorySegment;

/** A mapped run of a tensor's elements, decoded to float32 on demand, block by block. */
public record MappedElements(MemorySegment segment, DType dtype) implements ElementRun {

    @Override
    public void decode(int offset, int count, float[] dst) {
        FloatCodec.decode(segment, (long) offset * dtype.byteSize(), dtype, dst, 0, count);
    }

    @Override
    public boolean decodeFinite(int offset, int count, float[] dst) {
        return FloatCodec.decodeMinusFinite(segment, (long) offset * dtype.byteSize(), dtype, null, dst, count);
    }

    @Override
    public boolean decodeMinusFinite(int offset, int count, float[] minus, float[] dst) {
        return FloatCodec.decodeMinusFinite(segment, (long) offset * dtype.byteSize(), dtype, minus, dst, count);
    }
}
