package io.fedmerge.edge;

import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.taskvector.TaskVectorBuilder;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.proto.v1.TaskVectorManifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Builds this hospital's task vector with merge-core (only deltas leave the hospital, never data) and uploads it.
 * The task vector is kept in the work directory, so a retried contribution does not rebuild it.
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
            Path tv = workDir.resolve("round-" + roundId + ".safetensors");
            if (!Files.exists(tv)) {
                new TaskVectorBuilder().build(base, finetuned, tv, DType.F32, MergeProgress.NONE);
            }
            TaskVectorManifest manifest = Manifests.of(tv);
            return new Result(tv, manifest, hub.upload(roundId, tv, manifest,
                    done -> progress.update(manifest.getTotalBytes(), done)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the task vector in " + workDir, e);
        }
    }
}
