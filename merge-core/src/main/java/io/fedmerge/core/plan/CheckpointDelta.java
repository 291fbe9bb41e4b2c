package io.fedmerge.core.plan;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.FileRange;
import io.fedmerge.core.io.ElementRun;
import java.lang.foreign.Arena;
import java.util.List;

/**
 * The delta of a fine-tuned checkpoint, θ − θ₀, computed on the fly. A fine-tune with extra vocabulary rows needs no
 * special reading: in row-major order the base's rows are a prefix of the fine-tune's, so flat indices coincide.
 */
public final class CheckpointDelta implements DeltaSource {
    private final String id;
    private final Checkpoint finetuned;

    public CheckpointDelta(String id, Checkpoint finetuned) {
        this.id = id;
        this.finetuned = finetuned;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public Mapped map(String tensor, long first, int length, Arena arena) {
        ElementRun theta = finetuned.readElements(tensor, first, length, arena);
        return new Mapped() {
            @Override
            public void read(int offset, int len, float[] base, float[] dst) {
                theta.decodeMinusFinite(offset, len, base, dst);
            }

            @Override
            public boolean readFinite(int offset, int len, float[] base, float[] dst) {
                return theta.decodeMinusFinite(offset, len, base, dst);
            }
        };
    }

    @Override
    public List<FileRange> fileRanges(String tensor) {
        return List.of(finetuned.fileRange(tensor));
    }

    @Override
    public void close() {
        finetuned.close();
    }
}
