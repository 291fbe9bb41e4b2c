package io.fedmerge.hub;

import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.taskvector.TaskVectorBuilder;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.hub.model.BaseModelRegistry;
import io.fedmerge.hub.round.RoundRequest;
import io.fedmerge.hub.round.RoundService;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Generated models under a models root, and the round-level steps this module's tests repeat. */
public final class Federation {
    public final Path root;

    /** Generates base + {@code variants} fine-tunes of {@code shape} under {@code root}. */
    public Federation(Path root, ModelShape shape, int variants) {
        this.root = root;
        new CheckpointGenerator().generate(root, new CheckpointGenerator.Options(shape, variants, 7, DType.BF16,
                CheckpointWriter.DEFAULT_SHARD_BYTES, 0, 2), MergeProgress.NONE);
    }

    public String modelsRootArg() {
        return "--fedmerge.hub.models-root=" + root.toAbsolutePath();
    }

    /** The float32 task vector of fine-tune {@code variant} (1-based), built once. */
    public Path taskVector(int variant) {
        Path tv = root.resolve("tv-" + variant + ".safetensors");
        if (!tv.toFile().exists()) {
            new TaskVectorBuilder().build(root.resolve("base"), root.resolve("hospital-" + variant), tv, DType.F32,
                    MergeProgress.NONE);
        }
        return tv;
    }

    /**
     * Begins an upload of {@code taskVector} and streams every byte (1 MiB chunks with their CRC-32C) without
     * committing it; returns the upload id once the hub answered the stream.
     */
    public static String sendWithoutCommit(io.grpc.Channel channel, String round, Path taskVector) throws Exception {
        var manifest = io.fedmerge.edge.Manifests.of(taskVector);
        String uploadId = io.fedmerge.proto.v1.ContributionServiceGrpc.newBlockingStub(channel).beginUpload(
                io.fedmerge.proto.v1.BeginUploadRequest.newBuilder().setRoundId(round).setManifest(manifest).build())
                .getUploadId();
        byte[] bytes = java.nio.file.Files.readAllBytes(taskVector);
        var done = new java.util.concurrent.CompletableFuture<Void>();
        var up = io.fedmerge.proto.v1.ContributionServiceGrpc.newStub(channel).uploadChunks(
                new io.grpc.stub.StreamObserver<io.fedmerge.proto.v1.UploadChunksResponse>() {
                    @Override
                    public void onNext(io.fedmerge.proto.v1.UploadChunksResponse r) {}

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(null);
                    }
                });
        for (int at = 0; at < bytes.length; at += 1 << 20) {
            var data = com.google.protobuf.ByteString.copyFrom(bytes, at, Math.min(1 << 20, bytes.length - at));
            var crc = new java.util.zip.CRC32C();
            crc.update(data.asReadOnlyByteBuffer());
            up.onNext(io.fedmerge.proto.v1.UploadChunk.newBuilder().setUploadId(uploadId).setOffset(at).setData(data)
                    .setCrc32C((int) crc.getValue()).build());
        }
        up.onCompleted();
        done.get();
        return uploadId;
    }

    public static void registerBase(TestHub hub) {
        hub.bean(BaseModelRegistry.class).register("base", "base", "test");
    }

    /** Opens a task_arithmetic round on "base" that every node may join. */
    public static String openRound(TestHub hub) {
        return hub.bean(RoundService.class).create(new RoundRequest("base", "task_arithmetic", Map.of(),
                Map.of("weight", 1), List.of(), 1, null), "test").id();
    }
}
