package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.core.adapter.AdapterConfig;
import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.cli.CliRun;
import io.fedmerge.core.generate.AdapterGenerator;
import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointDigest;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.SafetensorsFile;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.edge.Contributor;
import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubCallException;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.edge.ModelInstaller;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hospitals that have LoRA adapters take part as adapters, over real gRPC on loopback: the adapter's own file is
 * uploaded (not a dense task vector), the hub checks its modules against the base before any byte, merges adapters
 * and dense contributions together, and publishes exactly what `fedmerge merge` makes of the same inputs.
 */
class AdapterFederationTest {
    @TempDir
    static Path dir;

    static FederationFixture fx;
    static EmbeddedHub hub;
    static List<Path> adapters;

    @BeforeAll
    static void start() {
        fx = new FederationFixture(dir);
        adapters = new AdapterGenerator().generate(fx.models.resolve("base"), fx.models,
                new AdapterGenerator.Options(4, 8, AdapterGenerator.MISTRAL_TARGETS, 3, 9, DType.F32));
        hub = EmbeddedHub.start(dir.resolve("hub"), "test-admin-token", "--spring.main.banner-mode=off",
                fx.modelsRoot());
        fx.registerBase(hub);
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void twoAdaptersAndADenseFineTunePublishTheOfflineMergeAsAModelAndAnAdapter() throws Exception {
        String round = hub.admin().post("/api/v1/rounds", Map.of("baseModel", "base", "mergeMethod", "ties",
                "modelParameters", Map.of("weight", 0.6, "density", 0.7), "minContributions", 3, "artifact", "both",
                "adapterRank", 6)).path("round").path("id").asString();
        Map<String, Path> byNode = new java.util.TreeMap<>();
        EdgeConfig first = null;
        long denseBytes = 0;
        for (int h = 1; h <= 3; h++) {
            EdgeConfig e = FederationFixture.enroll(hub, "mixed-" + h);
            first = first == null ? e : first;
            try (HubClient c = FederationFixture.client(e)) {
                Contributor.Result r = h <= 2
                        ? new Contributor().contributeAdapter(c, round, fx.models.resolve("base"), adapters.get(h - 1),
                                dir.resolve("work-" + h), (t, d) -> { })
                        : new Contributor().contribute(c, round, fx.models.resolve("base"),
                                fx.models.resolve("hospital-3"), dir.resolve("work-" + h), (t, d) -> { });
                byNode.put(e.nodeId(), h <= 2 ? adapters.get(h - 1) : fx.models.resolve("hospital-3"));
                if (h <= 2) {
                    // the adapter's own file went over the wire, nothing bigger
                    assertThat(r.upload().bytesSent()).isEqualTo(Files.size(adapters.get(h - 1)
                            .resolve(LoraAdapter.WEIGHTS_FILE)));
                } else {
                    denseBytes = r.upload().bytesSent();
                }
            }
        }
        // the dense fine-tune travels XOR-coded against the base: fewer bytes than the fine-tune itself
        assertThat(denseBytes).isLessThan(Files.size(fx.models.resolve("hospital-3").resolve("model.safetensors")));
        hub.admin().post("/api/v1/rounds/" + round + "/trigger", null);
        hub.admin().awaitRound(round, "PUBLISHED", java.time.Duration.ofSeconds(60));

        Path installed;
        Path installedAdapter;
        try (HubClient c = FederationFixture.client(first)) {
            installed = new ModelInstaller().install(c, round, dir.resolve("installed"), n -> { }).dir();
            ModelInstaller.Installed a = new ModelInstaller().installAdapter(c, round, dir.resolve("installed-a"),
                    n -> { });
            installedAdapter = a.dir();
            assertThat(a.manifest().getAdapterHow()).isEqualTo("extracted"); // ties is not linear in the deltas
            assertThat(a.manifest().getAdapterRank()).isEqualTo(6);
        }
        Path offline = fx.offlineMerge(byNode, "ties", "{weight: 0.6, density: 0.7}", "");
        try (Checkpoint got = Checkpoint.open(installed); Checkpoint want = Checkpoint.open(offline)) {
            for (String t : want.tensorNames()) {
                assertThat(FederationFixture.read(got, t)).as(t).containsExactly(FederationFixture.read(want, t));
            }
        }
        assertSameAdapter(installedAdapter, fx.offlineMerge(byNode, "ties", "{weight: 0.6, density: 0.7}",
                "--rank=6"));
    }

    @Test
    void aTaskArithmeticRoundOfAdaptersPublishesTheExactConcatenatedAdapter() throws Exception {
        String round = hub.admin().post("/api/v1/rounds", Map.of("baseModel", "base", "mergeMethod",
                "task_arithmetic", "modelParameters", Map.of("weight", 0.5), "minContributions", 2, "artifact",
                "adapter")).path("round").path("id").asString();
        Map<String, Path> byNode = new java.util.TreeMap<>();
        EdgeConfig first = null;
        for (int h = 1; h <= 2; h++) {
            EdgeConfig e = FederationFixture.enroll(hub, "ta-" + h);
            first = first == null ? e : first;
            try (HubClient c = FederationFixture.client(e)) {
                new Contributor().contributeAdapter(c, round, fx.models.resolve("base"), adapters.get(h - 1),
                        dir.resolve("work-ta-" + h), (t, d) -> { });
            }
            byNode.put(e.nodeId(), adapters.get(h - 1));
        }
        hub.admin().post("/api/v1/rounds/" + round + "/trigger", null);
        hub.admin().awaitRound(round, "PUBLISHED", java.time.Duration.ofSeconds(60));
        try (HubClient c = FederationFixture.client(first)) {
            assertThatThrownBy(() -> new ModelInstaller().install(c, round, dir.resolve("no-model"), n -> { }))
                    .hasMessageContaining("published only a LoRA adapter");
            ModelInstaller.Installed a = new ModelInstaller().installAdapter(c, round, dir.resolve("ta-adapter"),
                    n -> { });
            assertThat(a.manifest().getAdapterHow()).isEqualTo("concatenated");
            assertThat(a.manifest().getAdapterRank()).isEqualTo(8); // 4 + 4
            assertThat(a.manifest().getAdapterRelativeError()).isZero();
            assertSameAdapter(a.dir(), fx.offlineMerge(byNode, "task_arithmetic", "{weight: 0.5}", "--as-adapter"));
        }
    }

    /** Same config, same factors bit for bit. */
    static void assertSameAdapter(Path got, Path want) throws IOException {
        assertThat(Files.readString(got.resolve(AdapterConfig.FILE)))
                .isEqualTo(Files.readString(want.resolve(AdapterConfig.FILE)));
        try (Checkpoint g = Checkpoint.open(got.resolve(LoraAdapter.WEIGHTS_FILE));
                Checkpoint w = Checkpoint.open(want.resolve(LoraAdapter.WEIGHTS_FILE))) {
            assertThat(g.tensorNames()).containsExactlyElementsOf(w.tensorNames());
            for (String t : w.tensorNames()) {
                assertThat(FederationFixture.read(g, t)).as(t).containsExactly(FederationFixture.read(w, t));
            }
        }
    }

    @Test
    void anAdapterForAnotherBaseIsRefusedBeforeAnyByteNamingTheModule() throws Exception {
        String round = FederationFixture.openRound(hub, "task_arithmetic", Map.of("weight", 1.0), 1);
        // hospital-2 as the "base": same shapes, other digest
        Path other = dir.resolve("other-base-adapter");
        copyAdapter(adapters.get(2), other);
        EdgeConfig e = FederationFixture.enroll(hub, "wrong-base");
        try (HubClient c = FederationFixture.client(e)) {
            assertThatThrownBy(() -> new Contributor().contributeAdapter(c, round, fx.models.resolve("hospital-2"),
                    other, dir.resolve("work-wb"), (t, d) -> { }))
                    .isInstanceOf(HubCallException.class).hasMessageContaining("base digest");
        }
        // an adapter trained on a narrower model (hidden 32): refused at BeginUpload, naming module and shapes
        Path narrowModels = dir.resolve("narrow");
        new CheckpointGenerator().generate(narrowModels, new CheckpointGenerator.Options(
                new ModelShape(32, 2, 4, 2, 64, 256), 0, 5, DType.BF16, CheckpointWriter.DEFAULT_SHARD_BYTES, 0, 1),
                MergeProgress.NONE);
        Path narrow = new AdapterGenerator().generate(narrowModels.resolve("base"), narrowModels,
                new AdapterGenerator.Options(2, 2, List.of("q_proj"), 1, 3, DType.F32)).getFirst();
        try (HubClient c = FederationFixture.client(e)) {
            assertThatThrownBy(() -> c.upload(round, narrow.resolve(LoraAdapter.WEIGHTS_FILE),
                    Manifests.ofAdapter(narrow, digestOfBase()), n -> { }))
                    .isInstanceOf(HubCallException.class)
                    .hasMessageContaining("module 'model.layers.0.self_attn.q_proj' gives ΔW [32, 32]")
                    .hasMessageContaining("is [64, 64]");
        }
        assertThat(hub.admin().get("/api/v1/rounds/" + round).path("round").path("contributions").asInt())
                .isZero();
    }

    @Test
    void aNonFiniteFactorIsRefusedAtCommitAndCountsForNothing() throws Exception {
        String round = FederationFixture.openRound(hub, "task_arithmetic", Map.of("weight", 1.0), 1);
        Path bad = dir.resolve("nan-adapter");
        copyAdapter(adapters.getFirst(), bad);
        poisonFirstFactor(bad.resolve(LoraAdapter.WEIGHTS_FILE));
        EdgeConfig e = FederationFixture.enroll(hub, "nan-node");
        try (HubClient c = FederationFixture.client(e)) {
            assertThatThrownBy(() -> c.upload(round, bad.resolve(LoraAdapter.WEIGHTS_FILE),
                    Manifests.ofAdapter(bad, digestOfBase()), n -> { }))
                    .isInstanceOf(HubCallException.class).hasMessageContaining("is NaN");
        }
        assertThat(hub.admin().get("/api/v1/rounds/" + round).path("round").path("contributions").asInt())
                .isZero();
    }

    static String digestOfBase() {
        try (Checkpoint b = Checkpoint.open(fx.models.resolve("base"))) {
            return CheckpointDigest.of(b);
        }
    }

    static void copyAdapter(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        Files.copy(from.resolve(AdapterConfig.FILE), to.resolve(AdapterConfig.FILE));
        Files.copy(from.resolve(LoraAdapter.WEIGHTS_FILE), to.resolve(LoraAdapter.WEIGHTS_FILE));
    }

    static void poisonFirstFactor(Path weights) throws IOException {
        long at;
        try (SafetensorsFile f = SafetensorsFile.open(weights)) {
            TensorInfo first = f.tensors().getFirst();
            at = Files.size(weights) - f.tensors().stream().mapToLong(TensorInfo::byteLength).sum() + first.begin();
        }
        try (RandomAccessFile raf = new RandomAccessFile(weights.toFile(), "rw")) {
            raf.seek(at);
            raf.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(Float.NaN).array());
        }
    }
}
