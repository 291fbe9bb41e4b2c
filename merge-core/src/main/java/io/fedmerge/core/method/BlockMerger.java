package io.fedmerge.core.method;

/** Merges the blocks of one slice, in order, on one thread (it may keep state across them, e.g. tie counters). */
public interface BlockMerger {
    /** Writes the merged values of {@code block} into {@code out[0, block.length())}. */
    void merge(Slice block, float[] out);
}
