package io.fedmerge.core.method;

/**
 * A contiguous run of one tensor's elements, decoded to float32: the base values and each contributor's delta.
 * Arrays may be longer than {@code length} (workers reuse them); only {@code [0, length)} is meaningful. A method
 * may overwrite the deltas during its merge step: they are decoded afresh for every pass.
 *
 * @param index position of this slice in the tensor's fixed slicing (the same for any thread count)
 * @param first flat index of the slice's first element
 */
public record Slice(int index, long first, int length, float[] base, float[][] deltas) {}
