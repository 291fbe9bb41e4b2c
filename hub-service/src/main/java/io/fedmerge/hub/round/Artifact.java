package io.fedmerge.hub.round;

import java.util.List;

/** A published consolidated checkpoint: its files (for download and per-file checks) and its digest. */
public record Artifact(List<File> files, String checkpointDigest, int contributions, double mergeSeconds) {
    public record File(String name, long size, String sha256) {}

    public Artifact {
        files = List.copyOf(files);
    }
}
