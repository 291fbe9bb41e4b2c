package io.fedmerge.core.plan;

import io.fedmerge.core.io.Checkpoint;

/** A task-vector file: the deltas are stored as they are. */
public final class StoredDelta implements DeltaSource {
    private final String id;
    private final Checkpoint taskVector;

    public StoredDelta(String id, Checkpoint taskVector) {
        this.id = id;
        this.taskVector = taskVector;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public void read(String tensor, long first, int length, float[] base, float[] dst) {
        taskVector.readFloats(tensor, first, length, dst);
    }

    @Override
    public void close() {
        taskVector.close();
    }
}
