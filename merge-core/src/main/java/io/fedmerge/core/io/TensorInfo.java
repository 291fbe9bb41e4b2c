package io.fedmerge.core.io;

import io.fedmerge.core.tensor.DType;
import java.util.Arrays;

/**
 * One tensor as a safetensors header declares it. Offsets are relative to the start of the data section.
 *
 * @param shape row-major dimensions; empty for a scalar
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        return elementCount(shape);
    }

    public long byteLength() {
        return end - begin;
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    /** Elements per row when the tensor is viewed as [shape[0], rest]; the whole tensor for rank ≤ 1. */
    public long rowLength() {
        return shape.length <= 1 ? elementCount() : elementCount() / Math.max(1, shape[0]);
    }

    public boolean sameShape(TensorInfo other) {
        return Arrays.equals(shape, other.shape);
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    /** Product of the dimensions; throws on overflow rather than wrapping. */
    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + shapeString();
    }
}
