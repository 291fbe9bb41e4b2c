package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.cli.CliRun;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.TaskVectorFormat;
import io.fedmerge.core.taskvector.SparseDeltaDecoder;
import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.ModelInstaller;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A hospital may thin its contribution (`edge contribute --density`): only the kept values travel, the hub records
 * how they were chosen, and the round publishes exactly the offline merge of the task vectors the hospitals chose
 * to send. Through the real CLI and gRPC on loopback.
 */
class SparseContributionTest {
    @TempDir
    static Path dir;

    static FederationFixture fx;
    static EmbeddedHub hub;

    @BeforeAll
    static void start() {
        fx = new FederationFixture(dir);
        hub = EmbeddedHub.start(dir.resolve("hub"), "test-admin-token", "--spring.main.banner-mode=off",
                fx.modelsRoot());
        fx.registerBase(hub);
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void thinnedContributionsPublishTheOfflineMergeOfWhatWasSent() throws Exception {
        String round = FederationFixture.openRound(hub, "task_arithmetic", Map.of("weight", 0.5), 2);
        Map<String, Path> sent = new TreeMap<>();
        EdgeConfig first = null;
        long[] wire = new long[3];
        String[][] how = {{"--density", "0.1"}, {"--density", "0.3", "--sparsify", "random", "--seed", "7"}};
        for (int h = 1; h <= 2; h++) {
            EdgeConfig e = FederationFixture.enroll(hub, "thin-" + h);
            first = first == null ? e : first;
            Path config = dir.resolve("edge-" + h + ".json");
            e.save(config);
            CliRun r = CliRun.with(Fedmerge::commandLine, concat(new String[] {"edge", "contribute", "--config",
                config.toString(), "--round", round, "--base", fx.models.resolve("base").toString(), "--finetuned",
                fx.models.resolve("hospital-" + h).toString(), "--work", dir.resolve("work-" + h).toString(),
                "--json"}, how[h - 1]));
            assertThat(r.exitCode()).as(r.err()).isZero();
            JsonNode out = JsonMapper.builder().build().readTree(jsonIn(r.out()));
            assertThat(out.path("kind").asString()).isEqualTo("sparse_delta");
            wire[h] = out.path("uploadedBytes").asLong();
            sent.put(e.nodeId(), decodeWhatWasSent(dir.resolve("work-" + h), h));
        }
        long fineTune = Files.size(fx.models.resolve("hospital-1").resolve("model.safetensors"));
        assertThat(wire[1]).as("a tenth of the values, %d bytes of a %d-byte fine-tune", wire[1], fineTune)
                .isLessThan(fineTune / 4);

        hub.admin().post("/api/v1/rounds/" + round + "/trigger", null);
        hub.admin().awaitRound(round, "PUBLISHED", Duration.ofSeconds(60));
        Path installed;
        try (HubClient c = FederationFixture.client(first)) {
            installed = new ModelInstaller().install(c, round, dir.resolve("installed"), n -> { }).dir();
        }
        Path offline = fx.offlineMerge(sent, "task_arithmetic", "{weight: 0.5}", "");
        try (Checkpoint got = Checkpoint.open(installed); Checkpoint want = Checkpoint.open(offline)) {
            for (String t : want.tensorNames()) {
                assertThat(FederationFixture.read(got, t)).as(t)
                        .containsExactly(FederationFixture.read(want, t));
            }
        }
        assertThat(hub.context().getBean(JdbcClient.class).sql("select detail from audit_log where action ="
                + " 'contribution.commit' and subject = ?").param(round).query(String.class).list())
                .anyMatch(d -> d.contains("sparsified (magnitude, density 0.1)"))
                .anyMatch(d -> d.contains("sparsified (random, density 0.3)"));
    }

    @Test
    void anAdapterCannotBeThinnedItIsSentAsItIs() {
        CliRun r = CliRun.with(Fedmerge::commandLine, "edge", "contribute", "--config",
                dir.resolve("nobody.json").toString(), "--round", "r", "--base", "b", "--adapter", "a", "--density",
                "0.5");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("an adapter is sent as it is");
    }

    /** The .fmsparse file the edge kept in its work directory, decoded here as the hub would. */
    static Path decodeWhatWasSent(Path work, int h) throws Exception {
        Path encoded;
        try (var files = Files.list(work)) {
            encoded = files.filter(p -> p.toString().endsWith(".fmsparse")).findFirst().orElseThrow();
        }
        Path tv = dir.resolve("sent-" + h + ".safetensors");
        try (Checkpoint base = Checkpoint.open(fx.models.resolve("base"))) {
            new SparseDeltaDecoder().decode(base, encoded, tv);
        }
        try (Checkpoint c = Checkpoint.open(tv)) {
            assertThat(c.metadata().get(TaskVectorFormat.METHOD)).isIn("magnitude", "random");
        }
        return tv;
    }

    /** The command's JSON document, from the lines the in-process hub also logged to stdout meanwhile. */
    static String jsonIn(String out) {
        int start = out.startsWith("{\n") ? 0 : out.indexOf("\n{\n") + 1;
        return out.substring(start, out.indexOf("\n}", start) + 2);
    }

    static String[] concat(String[] a, String[] b) {
        return FederationFixture.concat(a, b);
    }
}
