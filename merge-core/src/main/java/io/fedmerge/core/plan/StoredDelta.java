package io.fedmerge.core.plan;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.FileRange;
import io.fedmerge.core.io.ElementRun;
import java.lang.foreign.Arena;
import java.util.List;

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
    public Mapped map(String tensor, long first, int length, Arena arena) {
        ElementRun delta = taskVector.readElements(tensor, first, length, arena);
        return (offset, len, base, dst) -> delta.decode(offset, len, dst);
    }

    @Override
    public List<FileRange> fileRanges(String tensor) {
        return List.of(taskVector.fileRange(tensor));
    }

    @Override
    public void close() {
        taskVector.close();
    }
}
