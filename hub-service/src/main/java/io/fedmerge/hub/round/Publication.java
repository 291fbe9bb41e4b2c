package io.fedmerge.hub.round;

import io.fedmerge.hub.HubException;
import java.util.Locale;

/**
 * What a round publishes: the consolidated checkpoint ("model", the default), a PEFT LoRA adapter for the base
 * ("adapter", exact for linear/task_arithmetic rounds of adapters, else extracted at {@code rank}), or both.
 *
 * @param rank the adapter's largest rank, or null for the exact rank (the sum of the contributed ranks)
 */
public record Publication(String artifact, Integer rank) {
    public static final Publication MODEL = new Publication("model", null);

    public boolean model() {
        return !artifact.equals("adapter");
    }

    public boolean adapter() {
        return !artifact.equals("model");
    }

    /** The admin's request, checked: an unknown artifact or a rank without an adapter is a mistake to report. */
    static Publication of(String artifact, Integer rank) {
        String a = artifact == null || artifact.isBlank() ? "model" : artifact.toLowerCase(Locale.ROOT);
        if (!a.equals("model") && !a.equals("adapter") && !a.equals("both")) {
            throw HubException.invalid("bad_round", "artifact must be model, adapter or both, found '" + artifact
                    + "'");
        }
        if (rank != null && a.equals("model")) {
            throw HubException.invalid("bad_round", "adapterRank applies to rounds that publish an adapter; set"
                    + " artifact to adapter or both, or drop adapterRank");
        }
        if (rank != null && rank < 1) {
            throw HubException.invalid("bad_round", "adapterRank must be at least 1, found " + rank);
        }
        return new Publication(a, rank);
    }
}
