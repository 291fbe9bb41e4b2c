package io.fedmerge.core.method;

/**
 * A block of one tensor's elements, decoded to float32: the base values and each contributor's delta. Blocks are
 * small enough to stay in the CPU cache while a method makes several passes over them; they belong to a slice (the
 * unit of parallel work and of statistics) and arrive in order within it. Arrays may be longer than
 * {@code length}; only {@code [0, length)} is meaningful. A method may overwrite the deltas: they are decoded afresh
 * for every pass.
 *
 * @param index the slice this block belongs to, in the tensor's fixed slicing (the same for any thread count)
 * @param first flat index of the block's first element
 */
public record Slice(int index, long first, int length, float[] base, float[][] deltas) {}
