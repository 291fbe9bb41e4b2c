package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.edge.ModelInstaller;
import io.fedmerge.hub.storage.LocalS3;
import io.fedmerge.hub.transfer.UploadStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The same hub code on the production backends: PostgreSQL (Flyway migrates a fresh schema) and an S3-compatible
 * store (s3proxy on loopback), with a full round end to end. The PostgreSQL server is started on loopback by
 * ./run-tests (scripts/test-postgres.sh); without one this test says so and is skipped.
 */
class PostgresBackendTest {
    @TempDir
    Path dir;

    @Test
    void aFullRoundRunsOnPostgresqlAndS3() throws Exception {
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
        String[] args = {"--spring.main.banner-mode=off", "--spring.datasource.url=" + url + "&currentSchema=" + schema,
            "--spring.flyway.schemas=" + schema, fx.modelsRoot()};
        try (LocalS3 s3 = LocalS3.start(Files.createDirectories(dir.resolve("s3")));
                EmbeddedHub hub = EmbeddedHub.start(dir.resolve("hub"), "t",
                        FederationFixture.concat(args, s3.hubArgs("pg-round")));
                S3Client objects = s3.client()) {
            fx.registerBase(hub);
            String round = FederationFixture.openRound(hub, "ties", Map.of("weight", 1, "density", 0.5), 2);
            for (int h = 1; h <= 2; h++) {
                EdgeConfig node = FederationFixture.enroll(hub, "pg-node-" + h);
                try (HubClient c = FederationFixture.client(node)) {
                    c.upload(round, fx.taskVector(h), Manifests.of(fx.taskVector(h)), n -> { });
                }
            }
            hub.admin().post("/api/v1/rounds/" + round + "/trigger", null);
            hub.admin().awaitRound(round, "PUBLISHED", java.time.Duration.ofSeconds(30));
            EdgeConfig reader = FederationFixture.enroll(hub, "pg-reader");
            try (HubClient c = FederationFixture.client(reader)) {
                assertThat(new ModelInstaller().install(c, round, dir.resolve("installed"), n -> { }).digest())
                        .isEqualTo(hub.admin().get("/api/v1/rounds/" + round + "/artifact").path("checkpointDigest")
                                .asString());
            }
            // The gauges that query the database at scrape time work on PostgreSQL too.
            String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(hub.managementUrl() + "/actuator/prometheus")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("fedmerge_certificates_expiring").contains("fedmerge_nodes_enrolled")
                    .containsPattern("fedmerge_rounds\\{[^}]*state=\"PUBLISHED\"[^}]*\\} 1");
            // Every blob is in the bucket: two contributions, the artifact and its YAML; no upload parts remain
            // and the hub keeps no local copies.
            List<String> keys = objects.listObjectsV2Paginator(b -> b.bucket("pg-round")).contents().stream()
                    .map(S3Object::key).toList();
            // Contributions are stored by upload id (never a hospital's name), exactly where the database says.
            List<String> contributionKeys = hub.context().getBean(UploadStore.class).committed(round).stream()
                    .map(u -> "fedmerge/" + u.blobKey()).toList();
            assertThat(contributionKeys).hasSize(2).allMatch(k -> k.startsWith("fedmerge/rounds/" + round
                    + "/contributions/"));
            assertThat(keys).containsAll(contributionKeys).contains("fedmerge/rounds/" + round + "/merge.yml",
                    "fedmerge/rounds/" + round + "/artifact/config.json")
                    .noneMatch(k -> k.contains(".parts/")).noneMatch(k -> k.contains("pg-node"));
            assertThat(dir.resolve("hub/blobs")).doesNotExist();
            try (var left = Files.walk(dir.resolve("hub/staging"))) {
                assertThat(left.filter(Files::isRegularFile)).as("staged and spooled copies").isEmpty();
            }
        }
        try (Connection c = DriverManager.getConnection(url)) {
            var rs = c.createStatement().executeQuery("select count(*) from " + schema + ".round_event");
            rs.next();
            assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(3); // OPEN, MERGING, PUBLISHED persisted
        }
    }
}
