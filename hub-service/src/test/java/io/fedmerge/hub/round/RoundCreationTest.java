package io.fedmerge.hub.round;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.hub.AdminHttp;
import io.fedmerge.hub.Federation;
import io.fedmerge.hub.TestHub;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A round that could never succeed is refused when it is created, not failed later. */
class RoundCreationTest {
    @TempDir
    static Path dir;
    static TestHub hub;

    @BeforeAll
    static void start() {
        Federation models = new Federation(dir.resolve("models"), ModelShape.preset("tiny"), 0);
        hub = TestHub.start(dir.resolve("hub"), models.modelsRootArg());
        Federation.registerBase(hub);
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void aDeadlineInThePastIsRefusedAtCreation() {
        int before = hub.bean(RoundService.class).list().size();
        AdminHttp.Reply r = new AdminHttp(hub, TestHub.ADMIN_TOKEN).post("/api/v1/rounds", Map.of("baseModel", "base",
                "mergeMethod", "task_arithmetic", "modelParameters", Map.of("weight", 1),
                "deadline", Instant.now().minusSeconds(60).toString()));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body().path("reason").asString()).isEqualTo("past_deadline");
        assertThat(r.detail()).contains("is not in the future", "give a later one, or none");
        assertThat(hub.bean(RoundService.class).list()).hasSize(before);
    }
}
