package io.fedmerge.core.io;

import io.fedmerge.core.tensor.DType;
import java.util.Arrays;

/** A tensor to be written: name, dtype and shape (its bytes come later, slice by slice). */
public record TensorSpec(String name, DType dtype, long[] shape) {
    public TensorSpec {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        return TensorInfo.elementCount(shape);
    }

    public long byteLength() {
        return elementCount() * dtype.byteSize();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec s && name.equals(s.name) && dtype == s.dtype && Arrays.equals(shape, s.shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }
}
