package io.fedmerge.hub.round;

/** OPEN → MERGING → PUBLISHED, or FAILED / CANCELLED with a reason. */
public enum RoundState {
    OPEN, MERGING, PUBLISHED, FAILED, CANCELLED;

    public boolean terminal() {
        return this == PUBLISHED || this == FAILED || this == CANCELLED;
    }
}
