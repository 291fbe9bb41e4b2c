package io.fedmerge.edge;

import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.taskvector.TaskVectorBuilder;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.proto.v1.TaskVectorManifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Builds this hospital's task vector with merge-core (only deltas leave the hospital, never data) and uploads it.
 * The task vector is kept in the work directory under a fingerprint of the base and the fine-tune (file names,
 * sizes and modification times: cheap, unlike hashing 14 GB), so a retried contribution does not rebuild it and a
 * changed fine-tune never reuses a stale one.
 */
public final class Contributor {
    public record Result(Path taskVector, TaskVectorManifest manifest, HubClient.Uploaded upload) {}

    /** Reports upload progress: bytes committed so far of the task vector's total size. */
    public interface Progress {
        void update(long totalBytes, long bytesDone);
    }

    public Result contribute(HubClient hub, String roundId, Path base, Path finetuned, Path workDir,
            Progress progress) {
        try {
            Files.createDirectories(workDir);
            String prefix = "round-" + roundId + "-";
            Path tv = workDir.resolve(prefix + fingerprint(base, finetuned) + ".safetensors");
            if (!Files.exists(tv)) {
                deleteStale(workDir, prefix);
                new TaskVectorBuilder().build(base, finetuned, tv, DType.F32, MergeProgress.NONE);
            }
            TaskVectorManifest manifest = Manifests.of(tv);
            return new Result(tv, manifest, hub.upload(roundId, tv, manifest,
                    done -> progress.update(manifest.getTotalBytes(), done)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the task vector in " + workDir, e);
        }
    }

    /** 16 hex digits of a SHA-256 over every file of both checkpoints: name, size, last modification. */
    static String fingerprint(Path base, Path finetuned) throws IOException {
        StringBuilder listing = new StringBuilder();
        for (Path dir : new Path[] {base, finetuned}) {
            List<Path> files;
            try (Stream<Path> s = Files.isDirectory(dir) ? Files.list(dir) : Stream.of(dir)) {
                files = s.filter(Files::isRegularFile).sorted().toList();
            }
            listing.append(dir.toAbsolutePath()).append('\n');
            for (Path f : files) {
                listing.append(f.getFileName()).append('|').append(Files.size(f)).append('|')
                        .append(Files.getLastModifiedTime(f).toMillis()).append('\n');
            }
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(listing.toString()
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK ships SHA-256", e);
        }
    }

    private static void deleteStale(Path workDir, String prefix) throws IOException {
        try (Stream<Path> s = Files.list(workDir)) {
            for (Path old : s.filter(p -> p.getFileName().toString().startsWith(prefix)).toList()) {
                Files.deleteIfExists(old);
            }
        }
    }
}
