package io.fedmerge.hub.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.hub.AdminHttp;
import io.fedmerge.hub.Federation;
import io.fedmerge.hub.TestHub;
import io.fedmerge.hub.node.NodeRegistry;
import io.fedmerge.hub.round.RoundRequest;
import io.fedmerge.hub.round.RoundService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A round followed live over server-sent events, as the console follows it, and the hierarchical method's per-unit
 * report of where the hospitals agreed, read back after it published.
 */
class RoundEventStreamTest {
    @TempDir
    static Path dir;
    static Federation models;
    static TestHub hub;
    static NodeRegistry.Enrollment a;
    static NodeRegistry.Enrollment b;

    @BeforeAll
    static void start() {
        models = new Federation(dir.resolve("models"), ModelShape.preset("tiny"), 2);
        hub = TestHub.start(dir.resolve("hub"), models.modelsRootArg());
        Federation.registerBase(hub);
        a = hub.enroll("hospital-a");
        b = hub.enroll("hospital-b");
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void aStreamTellsEachChangeOfTheRoundAndEndsWhenItPublishes() throws Exception {
        String round = hub.bean(RoundService.class).create(new RoundRequest("base", "hierarchical_cosine_ot_lerp",
                Map.of("granularity", "block"), Map.of("weight", 1), List.of(), 2, null), "test").id();
        StringBuffer received = new StringBuffer(); // chunks may split lines: look at the whole text
        CompletableFuture<HttpResponse<Void>> stream = HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + hub.httpPort() + "/api/v1/rounds/" + round + "/events"))
                .header("Authorization", "Bearer " + TestHub.ADMIN_TOKEN).build(),
                HttpResponse.BodyHandlers.ofByteArrayConsumer(bytes -> bytes.ifPresent(
                        chunk -> received.append(new String(chunk, StandardCharsets.UTF_8)))));
        await().atMost(Duration.ofSeconds(20)).until(() -> received.toString().contains("\"state\":\"OPEN\""));
        assertThat(received.toString()).contains("event:round");

        upload(a, round, 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> received.toString().contains("\"contributions\":1"));
        upload(b, round, 2);
        await().atMost(Duration.ofSeconds(20)).until(() -> received.toString().contains("\"contributions\":2"));
        hub.bean(RoundService.class).trigger(round, "test");
        HttpResponse<Void> ended = stream.get(90, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(ended.statusCode()).isEqualTo(200);
        assertThat(ended.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        String all = received.toString();
        assertThat(all.indexOf("\"state\":\"MERGING\"")).isPositive()
                .isLessThan(all.indexOf("\"state\":\"PUBLISHED\""));

        JsonNode contributions = new AdminHttp(hub, TestHub.ADMIN_TOKEN).get("/api/v1/rounds/" + round
                + "/contributions").body();
        assertThat(contributions.findValuesAsString("nodeId")).containsExactly(a.nodeId(), b.nodeId());
        assertThat(contributions.get(0).path("sha256").asString()).hasSize(64);
        assertThat(contributions.get(0).path("bytes").asLong()).isEqualTo(Files.size(models.taskVector(1)));

        JsonNode units = new AdminHttp(hub, TestHub.ADMIN_TOKEN).get("/api/v1/rounds/" + round + "/units").body();
        // one unit per transformer block, and each tensor outside the blocks (embeddings, final norm, head)
        assertThat(units.findValuesAsString("unit")).contains("model.layers.0.", "model.layers.1.")
                .hasSize(ModelShape.preset("tiny").layers() + 3);
        for (JsonNode u : units) {
            assertThat(u.path("cosine").asDouble()).isBetween(-1.0, 1.0);
            assertThat(u.path("weight").asDouble()).isBetween(0.0, 1.0);
        }
    }

    @Test
    void aMethodThatReportsNoUnitsAnswersAnEmptyList() throws Exception {
        String round = Federation.openRound(hub);
        upload(a, round, 1);
        hub.bean(RoundService.class).trigger(round, "test");
        await().atMost(Duration.ofSeconds(60)).until(() -> hub.bean(RoundService.class).get(round).state().terminal());
        assertThat(new AdminHttp(hub, TestHub.ADMIN_TOKEN).get("/api/v1/rounds/" + round + "/units").body())
                .isEmpty();
    }

    private static void upload(NodeRegistry.Enrollment node, String round, int variant) throws Exception {
        try (HubClient c = new HubClient("127.0.0.1:" + hub.grpcPort(), node.credential())) {
            Path tv = models.taskVector(variant);
            c.upload(round, tv, Manifests.of(tv), n -> { });
        }
    }
}
