package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.edge.ModelInstaller;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same hub code on PostgreSQL: Flyway migrates a fresh schema and a full round runs end to end. The server is
 * started on loopback by ./run-tests (scripts/test-postgres.sh); without one this test says so and is skipped.
 */
class PostgresBackendTest {
    @TempDir
    Path dir;

    @Test
    void aFullRoundRunsOnPostgresql() throws Exception {
        String url = System.getenv("FEDMERGE_TEST_PG_URL");
        if (url == null) {
            System.err.println("PostgresBackendTest SKIPPED: no PostgreSQL server (FEDMERGE_TEST_PG_URL unset);"
                    + " ./run-tests starts one when Debian's postgresql package can be installed");
        }
        Assumptions.assumeTrue(url != null, "no PostgreSQL server for this run (FEDMERGE_TEST_PG_URL unset)");
        String schema = "t" + Long.toHexString(System.nanoTime());
        try (Connection c = DriverManager.getConnection(url)) {
            c.createStatement().execute("create schema " + schema);
        }
        FederationFixture fx = new FederationFixture(dir);
        try (EmbeddedHub hub = EmbeddedHub.start(dir.resolve("hub"), "t", "--spring.main.banner-mode=off",
                "--spring.datasource.url=" + url + "&currentSchema=" + schema,
                "--spring.flyway.schemas=" + schema)) {
            fx.registerBase(hub);
            EdgeConfig node = FederationFixture.enroll(hub, "pg-node");
            String round = FederationFixture.openRound(hub, "ties", Map.of("weight", 1, "density", 0.5), 1);
            try (HubClient c = FederationFixture.client(node)) {
                c.upload(round, fx.taskVector(1), Manifests.of(fx.taskVector(1)), n -> { });
                hub.admin().post("/api/v1/rounds/" + round + "/trigger", null);
                hub.admin().awaitRound(round, "PUBLISHED", java.time.Duration.ofSeconds(30));
                assertThat(new ModelInstaller().install(c, round, dir.resolve("installed"), n -> { }).digest())
                        .isEqualTo(hub.admin().get("/api/v1/rounds/" + round + "/artifact").path("checkpointDigest")
                                .asString());
            }
        }
        try (Connection c = DriverManager.getConnection(url)) {
            var rs = c.createStatement().executeQuery("select count(*) from " + schema + ".round_event");
            rs.next();
            assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(3); // OPEN, MERGING, PUBLISHED persisted
        }
    }
}
