package io.fedmerge.edge;

import io.fedmerge.core.adapter.AdapterConfig;
import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.FileHashes;
import io.fedmerge.core.io.TaskVectorFormat;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.taskvector.Sparsification;
import io.fedmerge.proto.v1.TaskVectorManifest;
import io.fedmerge.proto.v1.TaskVectorProvenance;
import io.fedmerge.proto.v1.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Describes a contribution for BeginUpload: tensors, base digest, provenance, size and SHA-256 (and an adapter's config). */
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
            addTensors(b, tv);
            return b.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + taskVector, e);
        }
    }

    /**
     * For a fine-tune XOR-coded against the base: the file's size and SHA-256, and the float32 task vector it
     * decodes to (the base's tensors), which is what the hub validates before any byte.
     */
    public static TaskVectorManifest ofXorCoded(Path encoded, Path basePath, String baseDigest) {
        return ofEncoded("xor_delta", encoded, basePath, baseDigest, TaskVectorProvenance.newBuilder()
                .setMethod("dense").setDensity(1.0));
    }

    /** For a sparsified task vector (fedmerge-sparse-v1): as XOR-coded, plus how it was thinned. */
    public static TaskVectorManifest ofSparse(Path encoded, Path basePath, String baseDigest, Sparsification how) {
        return ofEncoded("sparse_delta", encoded, basePath, baseDigest, TaskVectorProvenance.newBuilder()
                .setMethod(how.kind().label()).setDensity(how.density()).setSeed(how.seed()));
    }

    private static TaskVectorManifest ofEncoded(String kind, Path encoded, Path basePath, String baseDigest,
            TaskVectorProvenance.Builder provenance) {
        try (Checkpoint base = Checkpoint.open(basePath)) {
            TaskVectorManifest.Builder b = TaskVectorManifest.newBuilder().setKind(kind)
                    .setBaseDigest(baseDigest).setTotalBytes(Files.size(encoded)).setSha256(sha256(encoded))
                    .setProvenance(provenance.setStoredDtype("F32").setProducer(TaskVectorFormat.PRODUCER_VALUE));
            for (String name : base.tensorNames()) {
                TensorInfo t = base.info(name);
                TensorSpec.Builder s = TensorSpec.newBuilder().setName(name).setDtype("F32")
                        .setByteLength(t.elementCount() * 4);
                for (long d : t.shape()) {
                    s.addShape(d);
                }
                b.addTensors(s);
            }
            return b.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + encoded, e);
        }
    }

    /** For a PEFT adapter: its weights file's tensors, its config verbatim, and the digest of the base it fits. */
    public static TaskVectorManifest ofAdapter(Path adapterDir, String baseDigest) {
        Path weights = adapterDir.resolve(LoraAdapter.WEIGHTS_FILE);
        try (Checkpoint file = Checkpoint.open(weights)) {
            TaskVectorManifest.Builder b = TaskVectorManifest.newBuilder().setKind("lora_adapter")
                    .setAdapterConfigJson(Files.readString(adapterDir.resolve(AdapterConfig.FILE)))
                    .setBaseDigest(baseDigest).setTotalBytes(Files.size(weights)).setSha256(sha256(weights))
                    .setProvenance(TaskVectorProvenance.newBuilder().setMethod("lora").setDensity(1.0)
                            .setStoredDtype(file.info(file.tensorNames().getFirst()).dtype().name())
                            .setProducer(TaskVectorFormat.PRODUCER_VALUE));
            addTensors(b, file);
            return b.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + adapterDir, e);
        }
    }

    private static void addTensors(TaskVectorManifest.Builder b, Checkpoint file) {
        for (String name : file.tensorNames()) {
            TensorInfo t = file.info(name);
            TensorSpec.Builder s = TensorSpec.newBuilder().setName(name).setDtype(t.dtype().name())
                    .setByteLength(t.byteLength());
            for (long d : t.shape()) {
                s.addShape(d);
            }
            b.addTensors(s);
        }
    }

    public static String sha256(Path file) throws IOException {
        return FileHashes.sha256(file);
    }
}
