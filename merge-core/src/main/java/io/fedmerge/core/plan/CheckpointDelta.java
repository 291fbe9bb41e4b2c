package io.fedmerge.core.plan;

import io.fedmerge.core.io.Checkpoint;

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
    public void read(String tensor, long first, int length, float[] base, float[] dst) {
        finetuned.readFloats(tensor, first, length, dst);
        for (int i = 0; i < length; i++) {
            dst[i] -= base[i];
        }
    }

    @Override
    public void close() {
        finetuned.close();
    }
}
