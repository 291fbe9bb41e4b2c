package io.fedmerge.hub.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.hub.AdminHttp;
import io.fedmerge.hub.Federation;
import io.fedmerge.hub.TestHub;
import io.fedmerge.hub.node.NodeRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The deadline scheduler: at its deadline a round with enough contributions merges by itself, one without fails
 * with a reason that says how many arrived; both are audited as the scheduler's doing.
 */
class DeadlineSchedulerTest {
    @TempDir
    static Path dir;
    static Federation models;
    static TestHub hub;
    static AdminHttp admin;

    @BeforeAll
    static void start() {
        models = new Federation(dir.resolve("models"), ModelShape.preset("tiny"), 1);
        hub = TestHub.start(dir.resolve("hub"), models.modelsRootArg(), "--fedmerge.hub.deadline-check-ms=100");
        Federation.registerBase(hub);
        admin = new AdminHttp(hub, TestHub.ADMIN_TOKEN);
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    /** A round due in an hour: whatever the machine's speed, nothing reaches its deadline by accident. */
    static String roundDueLater() {
        AdminHttp.Reply r = admin.post("/api/v1/rounds", Map.of("baseModel", "base", "mergeMethod", "task_arithmetic",
                "modelParameters", Map.of("weight", 1), "minContributions", 1,
                "deadline", Instant.now().plusSeconds(3600).toString()));
        assertThat(r.status()).as(r.detail()).isEqualTo(201);
        return r.body().path("round").path("id").asString();
    }

    /** Its deadline passes now (the clock is not something a test should wait on). */
    static void deadlinePasses(String round) {
        hub.bean(JdbcClient.class).sql("update round set deadline = ? where id = ?")
                .params(java.sql.Timestamp.from(Instant.now().minusSeconds(1)), round).update();
    }

    @Test
    void aRoundWithEnoughContributionsMergesAtItsDeadline() throws Exception {
        String round = roundDueLater();
        NodeRegistry.Enrollment node = hub.enroll("on-time");
        try (HubClient c = new HubClient("127.0.0.1:" + hub.grpcPort(), node.credential(), 3, 50)) {
            c.upload(round, models.taskVector(1), Manifests.of(models.taskVector(1)), n -> { });
        }
        assertThat(hub.bean(RoundService.class).get(round).state()).isEqualTo(RoundState.OPEN);
        deadlinePasses(round);
        await().atMost(Duration.ofSeconds(60)).until(() -> hub.bean(RoundService.class).get(round).state()
                == RoundState.PUBLISHED);
        assertThat(audited("scheduler", "round.merge", round)).isEqualTo(1);
    }

    @Test
    void aRoundWithTooFewContributionsFailsAtItsDeadlineWithTheCount() {
        String round = roundDueLater();
        deadlinePasses(round);
        await().atMost(Duration.ofSeconds(30)).until(() -> hub.bean(RoundService.class).get(round).state()
                == RoundState.FAILED);
        assertThat(hub.bean(RoundService.class).get(round).reason())
                .isEqualTo("deadline passed with 0 of 1 contributions");
        assertThat(audited("scheduler", "round.fail", round)).isEqualTo(1);
    }

    private static long audited(String actor, String action, String round) {
        return hub.bean(JdbcClient.class).sql("select count(*) from audit_log where actor = ? and action = ?"
                + " and subject = ?").params(actor, action, round).query(Long.class).single();
    }
}
