package io.fedmerge.core.io;

/** A run of one tensor's elements, decoded to float32 on demand, block by block; offsets are within the run. */
public interface ElementRun {

    /** Decodes elements [offset, offset + count) of this run into {@code dst[0, count)}. */
    void decode(int offset, int count, float[] dst);

    /** {@link #decode}, returning whether every value is finite (checked in the same pass). */
    boolean decodeFinite(int offset, int count, float[] dst);

    /** {@code dst = decoded - minus} for elements [offset, offset + count), returning whether all are finite. */
    boolean decodeMinusFinite(int offset, int count, float[] minus, float[] dst);
}
