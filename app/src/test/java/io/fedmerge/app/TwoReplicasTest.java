package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.edge.ModelInstaller;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hub replicas on one PostgreSQL and one shared blob volume: either serves uploads and downloads, and a merge
 * runs exactly once even when both see the round waiting.
 */
class TwoReplicasTest {
    @TempDir
    Path dir;

    @Test
    void eitherReplicaServesAndOnlyOneMerges() throws Exception {
        String url = System.getenv("FEDMERGE_TEST_PG_URL");
        Assumptions.assumeTrue(url != null, "no PostgreSQL server for this run (FEDMERGE_TEST_PG_URL unset)");
        String schema = "r" + Long.toHexString(System.nanoTime());
        try (Connection c = DriverManager.getConnection(url)) {
            c.createStatement().execute("create schema " + schema);
        }
        FederationFixture fx = new FederationFixture(dir);
        String[] args = {"--spring.main.banner-mode=off", "--spring.datasource.url=" + url + "&currentSchema=" + schema,
                "--spring.flyway.schemas=" + schema, "--fedmerge.hub.lease-check-ms=300"};
        Path shared = dir.resolve("shared-data");
        try (EmbeddedHub a = EmbeddedHub.start(shared, "t", args); EmbeddedHub b = EmbeddedHub.start(shared, "t", args)) {
            fx.registerBase(a);
            EdgeConfig node = FederationFixture.enroll(b, "replicated");
            String round = FederationFixture.openRound(a, "task_arithmetic", Map.of("weight", 1), 1);
            try (HubClient viaB = new HubClient(b.grpcTarget(), node.credential(), 3, 50)) {
                viaB.upload(round, fx.taskVector(1), Manifests.of(fx.taskVector(1)), n -> { });
            }
            a.admin().post("/api/v1/rounds/" + round + "/trigger", null);
            b.admin().awaitRound(round, "PUBLISHED", Duration.ofSeconds(60));
            try (HubClient viaA = new HubClient(a.grpcTarget(), node.credential(), 3, 50)) {
                assertThat(new ModelInstaller().install(viaA, round, dir.resolve("installed"), n -> { }).digest())
                        .isEqualTo(b.admin().get("/api/v1/rounds/" + round + "/artifact").path("checkpointDigest")
                                .asString());
            }
            // A second round left MERGING with no owner: both replicas notice it, exactly one merges it.
            String orphan = FederationFixture.openRound(b, "task_arithmetic", Map.of("weight", 1), 1);
            try (HubClient viaA = new HubClient(a.grpcTarget(), node.credential(), 3, 50)) {
                viaA.upload(orphan, fx.taskVector(1), Manifests.of(fx.taskVector(1)), n -> { });
            }
            try (Connection c = DriverManager.getConnection(url)) {
                c.createStatement().executeUpdate("update " + schema + ".round set state = 'MERGING' where id = '"
                        + orphan + "'");
            }
            a.admin().awaitRound(orphan, "PUBLISHED", Duration.ofSeconds(60));
            Thread.sleep(1500); // let the other replica's scans run past the publish
            try (Connection c = DriverManager.getConnection(url)) {
                for (String r : new String[] {round, orphan}) {
                    // Only a replica that won the claim merges; a failed claim leaves no trace but a log line.
                    var rs = c.createStatement().executeQuery("select count(*) from " + schema
                            + ".audit_log where action = 'merge.claim' and subject = '" + r + "'");
                    rs.next();
                    assertThat(rs.getInt(1)).as("merges of %s", r).isEqualTo(1);
                }
            }
        }
    }
}
