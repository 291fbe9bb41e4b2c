package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.cli.CliRun;
import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.taskvector.TaskVectorBuilder;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Generated tiny models, their task vectors, and helpers to enroll nodes and open rounds on a real hub. */
final class FederationFixture {
    final Path dir;
    final Path models;

    FederationFixture(Path dir) {
        this.dir = dir;
        this.models = dir.resolve("models");
        new CheckpointGenerator().generate(models, new CheckpointGenerator.Options(ModelShape.preset("tiny"), 3, 5,
                DType.BF16, CheckpointWriter.DEFAULT_SHARD_BYTES, 0, 2), MergeProgress.NONE);
        for (int h = 1; h <= 3; h++) {
            new TaskVectorBuilder().build(models.resolve("base"), models.resolve("hospital-" + h), taskVector(h),
                    DType.F32, MergeProgress.NONE);
        }
        // A task vector against another base: hospital-2 as "base".
        new TaskVectorBuilder().build(models.resolve("hospital-2"), models.resolve("hospital-1"),
                models.resolve("wrong-base.safetensors"), DType.F32, MergeProgress.NONE);
    }

    Path taskVector(int hospital) {
        return models.resolve("tv-" + hospital + ".safetensors");
    }

    static EdgeConfig enroll(EmbeddedHub hub, String name) {
        return hub.admin().enrollNode(hub.grpcTarget(), name);
    }

    /** The hub argument that makes the generated models registrable (they live outside the hub's data dir). */
    String modelsRoot() {
        return "--fedmerge.hub.models-root=" + models.toAbsolutePath();
    }

    void registerBase(EmbeddedHub hub) {
        hub.admin().post("/api/v1/base-models", Map.of("name", "base", "path",
                models.resolve("base").toAbsolutePath().toString()));
    }

    static String openRound(EmbeddedHub hub, String method, Map<String, Object> modelParameters, int min) {
        return hub.admin().post("/api/v1/rounds", Map.of("baseModel", "base", "mergeMethod", method,
                "modelParameters", modelParameters, "minContributions", min)).path("round").path("id").asString();
    }

    /** A chunk as the edge sends it: its bytes and their CRC-32C. */
    static io.fedmerge.proto.v1.UploadChunk chunk(String uploadId, long offset, com.google.protobuf.ByteString data) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(data.asReadOnlyByteBuffer());
        return io.fedmerge.proto.v1.UploadChunk.newBuilder().setUploadId(uploadId).setOffset(offset).setData(data)
                .setCrc32C((int) crc.getValue()).build();
    }

    static HubClient client(EdgeConfig e) {
        return new HubClient(e.hub(), e.credential(), 3, 50);
    }

    static Path copy(Path from, Path to) throws java.io.IOException {
        Files.createDirectories(to.getParent());
        return Files.copy(from, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** `fedmerge merge` of the given inputs, in the hub's order (by node id), written next to the test's files. */
    Path offlineMerge(Map<String, Path> byNode, String method, String params, String adapterFlag)
            throws java.io.IOException {
        StringBuilder yaml = new StringBuilder("merge_method: " + method + "\nbase_model: "
                + models.resolve("base").toAbsolutePath() + "\nmodels:\n");
        for (Path p : byNode.values()) {
            yaml.append("  - model: ").append(p.toAbsolutePath()).append("\n    parameters: ").append(params)
                    .append('\n');
        }
        Path cfg = Files.writeString(dir.resolve("offline-" + method + ".yml"), yaml + "parameters: {}\n");
        Path out = dir.resolve("offline-" + method + adapterFlag);
        CliRun r = adapterFlag.isEmpty() ? CliRun.of("merge", cfg.toString(), out.toString())
                : adapterFlag.equals("--as-adapter") ? CliRun.of("merge", cfg.toString(), out.toString(), adapterFlag)
                : CliRun.of("merge", cfg.toString(), out.toString(), "--as-adapter", adapterFlag);
        assertThat(r.exitCode()).as(r.err()).isZero();
        return out;
    }

    static float[] read(Checkpoint c, String name) {
        float[] v = new float[(int) c.info(name).elementCount()];
        c.readFloats(name, 0, v.length, v);
        return v;
    }

    /** Hub arguments from several groups (database, storage, TLS...). */
    static String[] concat(String[]... groups) {
        return java.util.Arrays.stream(groups).flatMap(java.util.Arrays::stream).toArray(String[]::new);
    }
}
