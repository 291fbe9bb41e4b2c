package io.fedmerge.hub.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.edge.ModelInstaller;
import io.fedmerge.hub.AdminHttp;
import io.fedmerge.hub.Federation;
import io.fedmerge.hub.TestHub;
import io.fedmerge.hub.node.NodeRegistry;
import io.fedmerge.hub.storage.BlobStore;
import io.fedmerge.hub.transfer.Upload;
import io.fedmerge.hub.transfer.UploadStore;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A FAILED round is merged again from the contributions it already has (no hospital uploads twice); retention
 * deletes ended rounds' contributions after its period but keeps what was published.
 */
class RetryAndRetentionTest {
    @TempDir
    static Path dir;
    static Federation models;
    static TestHub hub;
    static AdminHttp admin;

    @BeforeAll
    static void start() {
        models = new Federation(dir.resolve("models"), ModelShape.preset("tiny"), 1);
        hub = TestHub.start(dir.resolve("hub"), models.modelsRootArg(), "--fedmerge.hub.lease-check-ms=3600000");
        Federation.registerBase(hub);
        admin = new AdminHttp(hub, TestHub.ADMIN_TOKEN);
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    /** A round with one committed contribution, started merging and failed (as a merge on a full disk fails). */
    static String failedRound(String nodeName) throws Exception {
        NodeRegistry.Enrollment node = hub.enroll(nodeName);
        String round = Federation.openRound(hub);
        try (HubClient c = new HubClient("127.0.0.1:" + hub.grpcPort(), node.credential(), 3, 50)) {
            c.upload(round, models.taskVector(1), Manifests.of(models.taskVector(1)), n -> { });
        }
        RoundStore rounds = hub.bean(RoundStore.class);
        assertThat(rounds.startMerge(round)).isTrue();
        assertThat(rounds.transition(round, RoundState.MERGING, RoundState.FAILED, "merge failed: the merge of round "
                + round + " needs 3.0 MB but the hub's data volume has 0.0 MB free", null)).isTrue();
        return round;
    }

    static void age(String round, Duration by) {
        hub.bean(JdbcClient.class).sql("update round set updated_at = ? where id = ?")
                .params(Timestamp.from(Instant.now().minus(by)), round).update();
    }

    @Test
    void aFailedRoundIsMergedAgainFromItsStoredContributions() throws Exception {
        String round = failedRound("retried-node");
        AdminHttp.Reply r = admin.post("/api/v1/rounds/" + round + "/retry", null);
        assertThat(r.status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(60)).until(() -> hub.bean(RoundService.class).get(round).state()
                == RoundState.PUBLISHED);
        assertThat(hub.bean(RoundService.class).get(round).artifact().contributions()).isEqualTo(1);
        assertThat(hub.bean(JdbcClient.class).sql("select count(*) from audit_log where action = 'round.retry'"
                + " and subject = ?").param(round).query(Long.class).single()).isEqualTo(1);
    }

    @Test
    void onlyAFailedRoundWithItsContributionsCanBeRetried() throws Exception {
        String open = Federation.openRound(hub);
        AdminHttp.Reply notFailed = admin.post("/api/v1/rounds/" + open + "/retry", null);
        assertThat(notFailed.status()).isEqualTo(409);
        assertThat(notFailed.detail()).contains("is OPEN; only a FAILED round can be retried");

        String neverMerged = Federation.openRound(hub);
        hub.bean(RoundStore.class).transition(neverMerged, RoundState.OPEN, RoundState.FAILED,
                "deadline passed with 0 of 1 contributions", null);
        assertThat(admin.post("/api/v1/rounds/" + neverMerged + "/retry", null).detail())
                .contains("failed before it merged", "deadline passed", "open a new round");

        String gone = failedRound("forgotten-node");
        age(gone, Duration.ofDays(8));
        hub.bean(RoundRetention.class).sweep();
        AdminHttp.Reply r = admin.post("/api/v1/rounds/" + gone + "/retry", null);
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.detail()).contains("is no longer stored", "retention");
    }

    @Test
    void retentionDeletesContributionsOfEndedRoundsButKeepsWhatWasPublished() throws Exception {
        NodeRegistry.Enrollment node = hub.enroll("retained-node");
        String round = Federation.openRound(hub);
        try (HubClient c = new HubClient("127.0.0.1:" + hub.grpcPort(), node.credential(), 3, 50)) {
            c.upload(round, models.taskVector(1), Manifests.of(models.taskVector(1)), n -> { });
        }
        hub.bean(RoundService.class).trigger(round, "test");
        await().atMost(Duration.ofSeconds(60)).until(() -> hub.bean(RoundService.class).get(round).state()
                == RoundState.PUBLISHED);
        Upload contribution = hub.bean(UploadStore.class).committed(round).getFirst();
        BlobStore blobs = hub.bean(BlobStore.class);

        age(round, Duration.ofDays(6));
        hub.bean(RoundRetention.class).sweep();
        assertThat(blobs.size(contribution.blobKey())).as("within the retention period").isPositive();

        age(round, Duration.ofDays(8));
        hub.bean(RoundRetention.class).sweep();
        assertThat(blobs.size(contribution.blobKey())).as("after it").isEqualTo(-1);
        try (HubClient c = new HubClient("127.0.0.1:" + hub.grpcPort(), node.credential(), 3, 50)) {
            assertThat(new ModelInstaller().install(c, round, dir.resolve("installed"), n -> { }).digest())
                    .isEqualTo(hub.bean(RoundService.class).get(round).artifact().checkpointDigest());
        }
        assertThat(hub.bean(JdbcClient.class).sql("select count(*) from audit_log where action = 'round.retention'"
                + " and subject = ?").param(round).query(Long.class).single()).isEqualTo(1);
        hub.bean(RoundRetention.class).sweep(); // cleaned once
        assertThat(hub.bean(JdbcClient.class).sql("select count(*) from audit_log where action = 'round.retention'"
                + " and subject = ?").param(round).query(Long.class).single()).isEqualTo(1);
    }
}
