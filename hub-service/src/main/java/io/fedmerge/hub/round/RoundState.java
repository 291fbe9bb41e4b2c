package io.fedmerge.hub.round;

/**
 * OPEN → MERGING → PUBLISHED, or FAILED / CANCELLED with a reason; with evaluation, MERGING → EVALUATING →
 * PUBLISHED, or REJECTED (which an admin may still publish, with a reason).
 */
public enum RoundState {
    OPEN, MERGING, PUBLISHED, FAILED, CANCELLED, EVALUATING, REJECTED;

    public boolean terminal() {
        return this == PUBLISHED || this == FAILED || this == CANCELLED || this == REJECTED;
    }
}
