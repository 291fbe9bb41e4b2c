package io.fedmerge.hub.round;

import java.util.List;

/**
 * What a round published: the consolidated checkpoint's files (for download and per-file checks) and digest, and
 * the PEFT adapter when the round publishes one.
 *
 * @param files the checkpoint's files; empty when only an adapter is published
 * @param checkpointDigest the checkpoint's digest, or null when only an adapter is published
 * @param adapter the published adapter, or null
 */
public record Artifact(List<File> files, String checkpointDigest, int contributions, double mergeSeconds,
        Adapter adapter) {
    public record File(String name, long size, String sha256) {}

    /**
     * @param how concatenated, truncated or extracted ({@code fedmerge merge --as-adapter})
     * @param worstRelativeError the largest ‖ΔW − B·A‖_F / ‖ΔW‖_F over its modules (0 when exact)
     */
    public record Adapter(List<File> files, String how, int rank, double worstRelativeError) {
        public Adapter {
            files = List.copyOf(files);
        }
    }

    public Artifact {
        files = files == null ? List.of() : List.copyOf(files);
    }
}
