package io.fedmerge.hub.transfer;

import io.fedmerge.proto.v1.TaskVectorManifest;
import java.time.Instant;

/**
 * One node's upload of a contribution (a task vector or a LoRA adapter) for a round.
 *
 * @param blobKey where the committed contribution's bytes are, or null until it is committed
 */
public record Upload(String id, String roundId, String nodeId, String sha256, long totalBytes,
        TaskVectorManifest manifest, State state, Instant createdAt, String blobKey) {
    /** UPLOADING and COMMITTED are live; SUPERSEDED (replaced, discarded, revoked) and EXPIRED are not. */
    public enum State { UPLOADING, COMMITTED, SUPERSEDED, EXPIRED }

    /** Whether the bytes are a PEFT LoRA adapter's weights file rather than a dense task vector. */
    public boolean isAdapter() {
        return ManifestCheck.isAdapter(manifest);
    }

    /**
     * Whether the bytes are encoded against the base and decoded at commit into the float32 task vector: a fine-tune
     * XOR-coded (fedmerge-xor-v1) or a sparsified task vector (fedmerge-sparse-v1).
     */
    public boolean isEncoded() {
        return ManifestCheck.KIND_XOR_DELTA.equals(manifest.getKind())
                || ManifestCheck.KIND_SPARSE_DELTA.equals(manifest.getKind());
    }

    String partialKey() {
        return "rounds/" + roundId + "/uploads/" + id;
    }

    /** Where this upload's bytes go once committed (keyed by upload, so a replacement never overwrites them). */
    String contributionKey() {
        return "rounds/" + roundId + "/contributions/" + id + ".safetensors";
    }
}
