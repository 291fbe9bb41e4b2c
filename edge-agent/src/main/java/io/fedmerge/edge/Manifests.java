package io.fedmerge.edge;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.FileHashes;
import io.fedmerge.core.io.TaskVectorFormat;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.proto.v1.TaskVectorManifest;
import io.fedmerge.proto.v1.TaskVectorProvenance;
import io.fedmerge.proto.v1.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Describes a task-vector file for BeginUpload: tensors, base digest, provenance, size and SHA-256. */
public final class Manifests {
    private Manifests() {}

    public static TaskVectorManifest of(Path taskVector) {
        try (Checkpoint tv = Checkpoint.open(taskVector)) {
            Map<String, String> meta = tv.metadata();
            TaskVectorManifest.Builder b = TaskVectorManifest.newBuilder()
                    .setBaseDigest(meta.getOrDefault(TaskVectorFormat.BASE_DIGEST, ""))
                    .setTotalBytes(Files.size(taskVector)).setSha256(sha256(taskVector))
                    .setProvenance(TaskVectorProvenance.newBuilder()
                            .setMethod(meta.getOrDefault(TaskVectorFormat.METHOD, "dense")).setDensity(1.0)
                            .setStoredDtype(meta.getOrDefault(TaskVectorFormat.STORED_DTYPE, ""))
                            .setProducer(meta.getOrDefault(TaskVectorFormat.PRODUCER, "")));
            for (String name : tv.tensorNames()) {
                TensorInfo t = tv.info(name);
                TensorSpec.Builder s = TensorSpec.newBuilder().setName(name).setDtype(t.dtype().name())
                        .setByteLength(t.byteLength());
                for (long d : t.shape()) {
                    s.addShape(d);
                }
                b.addTensors(s);
            }
            return b.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + taskVector, e);
        }
    }

    public static String sha256(Path file) throws IOException {
        return FileHashes.sha256(file);
    }
}
