package io.fedmerge.app.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.app.EmbeddedHub;
import io.fedmerge.app.Fedmerge;
import io.fedmerge.core.cli.CliRun;
import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.taskvector.TaskVectorBuilder;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** `./fedmerge admin` against a real hub: what an operator types, what a script parses, how errors end. */
class AdminCliTest {
    static final String TOKEN = "admin-cli-test-token";
    @TempDir
    static Path dir;
    static EmbeddedHub hub;
    static Path models;
    static Path tokenFile;

    @BeforeAll
    static void start() throws Exception {
        models = dir.resolve("models");
        new CheckpointGenerator().generate(models, new CheckpointGenerator.Options(ModelShape.preset("tiny"), 2, 3,
                DType.BF16, CheckpointWriter.DEFAULT_SHARD_BYTES, 0, 2), MergeProgress.NONE);
        // the hub shares this JVM's stdout, which the CLI runs capture: it logs nothing, so what is read is the CLI's
        hub = EmbeddedHub.start(dir.resolve("hub"), TOKEN, "--spring.main.banner-mode=off",
                "--logging.level.root=OFF",
                "--fedmerge.hub.models-root=" + models.toAbsolutePath());
        tokenFile = Files.writeString(dir.resolve("admin.token"), TOKEN + "\n");
        CliRun registered = admin("base-models", "register", "base", "base");
        assertThat(registered.exitCode()).as(registered.err()).isZero();
        assertThat(registered.out()).startsWith("registered base (");
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    /** `fedmerge admin ARGS --hub URL --token-file FILE`, in-process. */
    static CliRun admin(String... args) {
        java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of("admin"));
        all.addAll(java.util.List.of(args));
        all.addAll(java.util.List.of("--hub", hub.httpUrl(), "--token-file", tokenFile.toString()));
        return CliRun.with(Fedmerge::commandLine, all.toArray(String[]::new));
    }

    static JsonNode json(String... args) {
        String[] withJson = java.util.Arrays.copyOf(args, args.length + 1);
        withJson[args.length] = "--json";
        CliRun r = admin(withJson);
        assertThat(r.exitCode()).as(r.err()).isZero();
        return JsonMapper.builder().build().readTree(r.out());
    }

    @Test
    void aRoundFromAYamlFileToItsPublishedArtifact() throws Exception {
        assertThat(json("base-models", "list").get(0).path("tensors").asInt()).isPositive();
        CliRun bases = admin("base-models", "list");
        assertThat(bases.out()).startsWith("NAME").contains("base");

        Path spec = Files.writeString(dir.resolve("round.yml"), """
                baseModel: base
                mergeMethod: task_arithmetic
                modelParameters: {weight: 0.5}
                minContributions: 2
                deadline: 2099-01-01T00:00:00Z
                """);
        String round = json("rounds", "create", spec.toString()).path("round").path("id").asString();
        assertThat(admin("rounds", "list").out()).contains(round, "OPEN", "task_arithmetic");

        for (int h = 1; h <= 2; h++) {
            EdgeConfig node = hub.admin().enrollNode(hub.grpcTarget(), "cli-site-" + h);
            Path tv = dir.resolve("tv-" + h + ".safetensors");
            new TaskVectorBuilder().build(models.resolve("base"), models.resolve("hospital-" + h), tv, DType.F32,
                    MergeProgress.NONE);
            try (HubClient c = new HubClient(hub.grpcTarget(), node.credential())) {
                c.upload(round, tv, Manifests.of(tv), n -> { });
            }
        }
        assertThat(admin("nodes", "list").out()).contains("cli-site-1", "cli-site-2");
        assertThat(admin("rounds", "show", round).out()).contains("OPEN", "2 of at least 2 contributions");
        assertThat(admin("rounds", "trigger", round).exitCode()).isZero();
        CliRun watched = admin("rounds", "watch", round, "--interval-ms", "100");
        assertThat(watched.exitCode()).as(watched.err()).isZero();
        assertThat(watched.out()).contains("PUBLISHED");
        CliRun artifact = admin("artifacts", round);
        assertThat(artifact.out()).contains("checkpoint digest", "model.safetensors", "README.md",
                "mergekit_config.yml");
        CliRun audit = admin("audit", "--subject", round);
        assertThat(audit.out()).contains("round.create", "bootstrap-token", "127.0.0.1");
        assertThat(admin("audit", "--export", "--action", "round.create").out().lines()).hasSize(1);
    }

    @Test
    void aBaseUploadedFromHereResumesWhatAnInterruptedUploadLeftAndIsRegistered() throws Exception {
        Path base = models.resolve("base");
        java.util.List<java.util.Map<String, Object>> declared = new java.util.ArrayList<>();
        java.util.List<Path> files;
        try (var s = Files.list(base)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            declared.add(java.util.Map.of("file", f.getFileName().toString(), "bytes", Files.size(f), "sha256",
                    io.fedmerge.core.io.FileHashes.sha256(f)));
        }
        // an upload that stopped after 100 bytes of the weights
        io.fedmerge.app.AdminApi api = new io.fedmerge.app.AdminApi(hub.httpUrl(), TOKEN);
        String id = api.post("/api/v1/base-models/uploads", java.util.Map.of("name", "uploaded", "files", declared))
                .path("id").asString();
        byte[] start = java.util.Arrays.copyOf(Files.readAllBytes(base.resolve("model.safetensors")), 100);
        api.put("/api/v1/base-models/uploads/" + id + "/files/model.safetensors?offset=0", start, start.length);

        CliRun up = admin("base-models", "upload", "uploaded", base.toString(), "--chunk-mib", "1");
        assertThat(up.exitCode()).as(up.err()).isZero();
        assertThat(up.out()).startsWith("registered uploaded (");
        JsonNode bases = json("base-models", "list");
        String uploadedDigest = bases.findParents("name").stream().filter(b -> b.path("name").asString()
                .equals("uploaded")).findFirst().orElseThrow().path("digest").asString();
        String diskDigest = bases.findParents("name").stream().filter(b -> b.path("name").asString()
                .equals("base")).findFirst().orElseThrow().path("digest").asString();
        assertThat(uploadedDigest).isEqualTo(diskDigest);
        // the CLI resumed that upload instead of starting another
        assertThat(json("audit", "--action", "base.upload.open").path("entries")).hasSize(1);
    }

    @Test
    void tokensAreShownOnceListedAndRevoked() {
        CliRun minted = admin("tokens", "mint", "--ttl-minutes", "30", "--note", "radiology");
        assertThat(minted.exitCode()).as(minted.err()).isZero();
        assertThat(minted.err()).contains("it is not shown again");
        String id = json("tokens", "list").get(0).path("id").asString();
        assertThat(admin("tokens", "list").out()).contains("radiology").doesNotContain(minted.out().strip());
        assertThat(admin("tokens", "revoke", id).out()).contains("revoked token " + id);
    }

    @Test
    void aCancelledRoundEndsTheWatchWithExitOne() throws Exception {
        Path spec = Files.writeString(dir.resolve("cancel.yml"), "baseModel: base\nmergeMethod: linear\n");
        String round = json("rounds", "create", spec.toString()).path("round").path("id").asString();
        assertThat(admin("rounds", "cancel", round, "--reason", "wrong base").exitCode()).isZero();
        CliRun watched = admin("rounds", "watch", round, "--interval-ms", "100");
        assertThat(watched.exitCode()).isEqualTo(1);
        assertThat(watched.out()).contains("CANCELLED", "wrong base");
    }

    @Test
    void errorsSayWhatIsWrongAndExitOne() throws Exception {
        CliRun missing = CliRun.with(Fedmerge::commandLine, "admin", "nodes", "list", "--hub", hub.httpUrl());
        if (System.getenv("FEDMERGE_ADMIN_TOKEN") == null) {
            assertThat(missing.exitCode()).isEqualTo(1);
            assertThat(missing.err()).contains("error: no admin token");
        }
        Path wrong = Files.writeString(dir.resolve("wrong.token"), "not-the-token");
        CliRun refused = CliRun.with(Fedmerge::commandLine, "admin", "nodes", "list", "--hub", hub.httpUrl(),
                "--token-file", wrong.toString());
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).contains("error: hub admin API 401");
        CliRun unknown = admin("rounds", "show", "0f4c7e1a-53b8-4d3e-9a6e-2b9c1d7e8f00");
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err()).contains("404");
        CliRun hostile = admin("rounds", "show", "../../actuator/env");
        assertThat(hostile.exitCode()).isEqualTo(1);
        assertThat(hostile.err()).contains("is not an id");
        CliRun badYaml = admin("rounds", "create", Files.writeString(dir.resolve("bad.yml"), "- a\n- b\n").toString());
        assertThat(badYaml.err()).contains("must be a YAML mapping");
        assertThat(CliRun.with(Fedmerge::commandLine, "admin", "--help").out()).contains("nodes", "tokens",
                "base-models", "rounds", "artifacts", "audit");
    }
}
