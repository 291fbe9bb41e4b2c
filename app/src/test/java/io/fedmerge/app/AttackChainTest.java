package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The attack chain of issue 9, run against a hub on embedded defaults: mint an enrollment token with no credential
 * through a misspelled path, enroll a rogue node, register another round's published artifact as a "base", open a
 * round for the rogue node only, upload a zero task vector, trigger, download. It must fail at its first step; and
 * even an attacker holding the admin token cannot turn a published artifact into a base model.
 */
class AttackChainTest {
    @TempDir
    Path dir;

    static HttpResponse<String> post(EmbeddedHub hub, String rawPath, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hub.httpUrl() + rawPath))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theChainFailsAtItsFirstStepAndAPublishedArtifactCannotBecomeABase() throws Exception {
        FederationFixture fx = new FederationFixture(dir);
        try (EmbeddedHub hub = EmbeddedHub.start(dir.resolve("hub"), "the-real-admin-token",
                "--spring.main.banner-mode=off", fx.modelsRoot())) {
            // A victim round, published.
            fx.registerBase(hub);
            EdgeConfig victim = FederationFixture.enroll(hub, "victim-hospital");
            String round = FederationFixture.openRound(hub, "task_arithmetic", Map.of("weight", 1), 1);
            try (HubClient c = FederationFixture.client(victim)) {
                c.upload(round, fx.taskVector(1), Manifests.of(fx.taskVector(1)), n -> { });
            }
            hub.admin().post("/api/v1/rounds/" + round + "/trigger", null);
            hub.admin().awaitRound(round, "PUBLISHED", Duration.ofSeconds(60));
            JdbcClient db = hub.context().getBean(JdbcClient.class);
            long tokensBefore = db.sql("select count(*) from enrollment_token").query(Long.class).single();

            // Step 1, as reported: no Authorization header at all.
            String ttl = "{\"ttlMinutes\":60}";
            assertThat(post(hub, "/%61pi/v1/enrollment-tokens", null, ttl).statusCode()).isEqualTo(400);
            assertThat(post(hub, "/api;x/v1/enrollment-tokens", null, ttl).statusCode()).isEqualTo(400);
            assertThat(post(hub, "/api/v1/enrollment-tokens", null, ttl).statusCode()).isEqualTo(401);
            assertThat(post(hub, "/api/v1/enrollment-tokens", "fma_guess", ttl).statusCode()).isEqualTo(401);
            assertThat(db.sql("select count(*) from enrollment_token").query(Long.class).single())
                    .isEqualTo(tokensBefore);

            // Step 3 with the admin token: the published artifact lives in the hub's data directory.
            Path artifact = dir.resolve("hub/blobs/rounds/" + round + "/artifact");
            assertThat(artifact.resolve("model.safetensors")).exists();
            HttpResponse<String> stolen = post(hub, "/api/v1/base-models", "the-real-admin-token",
                    "{\"name\":\"stolen\",\"path\":\"" + artifact + "\"}");
            assertThat(stolen.statusCode()).isEqualTo(400);
            assertThat(stolen.body()).contains("outside_models_root");
            assertThat(db.sql("select count(*) from base_model").query(Long.class).single()).isEqualTo(1);

            // What the admin did is audited under the credential's name, not a generic "admin".
            assertThat(db.sql("select distinct actor from audit_log where action = 'round.create'")
                    .query(String.class).list()).containsExactly("bootstrap-token");
        }
    }
}
