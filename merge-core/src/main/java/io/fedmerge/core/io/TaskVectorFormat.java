package io.fedmerge.core.io;

import java.util.Map;

/**
 * How a task vector describes itself in its safetensors {@code __metadata__} (all values are strings, as safetensors
 * requires). The base digest is what lets a hub, or a local merge, refuse deltas taken against another model.
 */
public final class TaskVectorFormat {
    public static final String FORMAT = "fedmerge.format";
    public static final String FORMAT_VALUE = "task_vector";
    public static final String VERSION = "fedmerge.format_version";
    public static final String BASE_DIGEST = "fedmerge.base_digest";
    public static final String METHOD = "fedmerge.method";
    /** Fraction of each tensor kept by an edge-side sparsifier (METHOD "magnitude" or "random"). */
    public static final String DENSITY = "fedmerge.density";
    /** Seed of the "random" sparsifier's stream. */
    public static final String SEED = "fedmerge.seed";
    public static final String STORED_DTYPE = "fedmerge.stored_dtype";
    public static final String PRODUCER = "fedmerge.producer";
    public static final String TRUNCATED = "fedmerge.truncated";
    public static final String PRODUCER_VALUE = "fedmerge/0.1.0";

    private TaskVectorFormat() {}

    public static boolean isTaskVector(Checkpoint checkpoint) {
        return isTaskVector(checkpoint.metadata());
    }

    public static boolean isTaskVector(Map<String, String> metadata) {
        return FORMAT_VALUE.equals(metadata.get(FORMAT));
    }
}
