package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hub's state lives in its H2 file and blob directory: a restart loses nothing and never half-publishes. */
class HubRestartTest {
    @TempDir
    Path dir;

    @Test
    void aRoundLeftMergingByARestartIsMergedAgainAndPublished() throws Exception {
        FederationFixture fx = new FederationFixture(dir);
        Path data = dir.resolve("hub");
        String round;
        EdgeConfig node;
        try (EmbeddedHub hub = EmbeddedHub.start(data, "t", "--spring.main.banner-mode=off", fx.modelsRoot())) {
            fx.registerBase(hub);
            node = FederationFixture.enroll(hub, "ivy");
            round = FederationFixture.openRound(hub, "task_arithmetic", Map.of("weight", 1), 1);
            try (HubClient c = FederationFixture.client(node)) {
                c.upload(round, fx.taskVector(1), Manifests.of(fx.taskVector(1)), n -> { });
            }
        }
        // As if the hub died right after persisting OPEN -> MERGING, before its merge finished.
        try (Connection db = DriverManager.getConnection("jdbc:h2:file:" + data.toAbsolutePath() + "/db/fedmerge",
                "sa", "")) {
            // What the OPEN -> MERGING transaction writes: the state and the merge's snapshot of contributions.
            db.createStatement().executeUpdate("update round set state = 'MERGING' where id = '" + round + "'");
            db.createStatement().executeUpdate("insert into merge_input(round_id, upload_id) select round_id, id"
                    + " from upload where round_id = '" + round + "' and state = 'COMMITTED'");
        }
        try (EmbeddedHub hub = EmbeddedHub.start(data, "t", "--spring.main.banner-mode=off", fx.modelsRoot())) {
            hub.admin().awaitRound(round, "PUBLISHED", java.time.Duration.ofSeconds(30));
            assertThat(hub.admin().get("/api/v1/rounds/" + round + "/artifact").path("contributions").asInt())
                    .isEqualTo(1);
            // The node's credential survived the restart too.
            try (HubClient c = FederationFixture.client(new EdgeConfig(hub.grpcTarget(), node.nodeId(),
                    node.nodeName(), node.credential()))) {
                assertThat(c.artifact(round).getFilesCount()).isGreaterThan(0);
            }
        }
    }

    @Test
    void theFederatedDemoMatchesTheOfflineMerge() {
        FederatedDemo.Outcome o = new FederatedDemo().run(dir.resolve("demo"),
                io.fedmerge.core.generate.ModelShape.preset("tiny"), new java.io.PrintStream(
                        java.io.OutputStream.nullOutputStream()));
        assertThat(o.rounds()).hasSize(2).allMatch(FederatedDemo.RoundOutcome::matchesOffline);
        assertThat(o.rounds().getFirst().units()).isNotEmpty();
        assertThat(o.bytesUploaded()).isPositive();
        assertThat(o.bytesDownloaded()).isPositive();
    }
}
