package io.fedmerge.hub.model;

import java.time.Instant;
import java.util.List;

/**
 * A base checkpoint on its way into the hub's blob store: the files its uploader declared, each with its size and
 * SHA-256, and how much of each has arrived.
 */
public record BaseUpload(String id, String name, List<File> files, String createdBy, Instant createdAt) {
    /** A declared file; {@code received} is how many of its bytes the hub holds (where to resume). */
    public record File(String file, long bytes, String sha256, long received) {
        File declared() {
            return new File(file, bytes, sha256, 0);
        }

        boolean complete() {
            return received == bytes;
        }
    }

    public BaseUpload {
        files = List.copyOf(files);
    }
}
