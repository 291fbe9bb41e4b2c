package io.fedmerge.core.plan;

/** Progress of a long merge, reported tensor by tensor (CLIs draw bars, the hub exports metrics). */
public interface MergeProgress {
    MergeProgress NONE = new MergeProgress() {};

    default void started(int tensors, long bytes) {}

    default void tensorDone(String name, int tensorsDone, long bytesDone) {}
}
