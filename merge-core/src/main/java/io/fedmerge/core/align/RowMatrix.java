package io.fedmerge.core.align;

/** Row access to a 2-D tensor (a bias is one row); rows are decoded on demand so no tensor is held whole. */
public interface RowMatrix {
    int rows();

    int cols();

    /** Decodes row {@code r} into {@code dst[0, cols())}. */
    void row(int r, float[] dst);
}
