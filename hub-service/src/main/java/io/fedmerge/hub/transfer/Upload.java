package io.fedmerge.hub.transfer;

import io.fedmerge.proto.v1.TaskVectorManifest;
import java.time.Instant;

/** One node's upload of a task vector for a round. */
public record Upload(String id, String roundId, String nodeId, String sha256, long totalBytes,
        TaskVectorManifest manifest, State state, Instant createdAt) {
    /** UPLOADING and COMMITTED are live; SUPERSEDED (replaced, discarded, revoked) and EXPIRED are not. */
    public enum State { UPLOADING, COMMITTED, SUPERSEDED, EXPIRED }

    String partialKey() {
        return "rounds/" + roundId + "/uploads/" + id;
    }
}
