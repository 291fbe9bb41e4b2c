package io.fedmerge.core.method;

/** Statistics of one slice for one pass: sees the slice's blocks in order, on one thread. */
public interface SliceAccumulator {
    void accept(Slice block);

    /** Called once after the slice's last block (e.g. to fold exact integer counts into a shared total). */
    default void finish() {}
}
