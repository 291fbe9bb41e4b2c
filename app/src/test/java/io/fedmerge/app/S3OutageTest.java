package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.edge.ModelInstaller;
import io.fedmerge.hub.storage.LocalS3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The S3 store disappears while a hospital uploads: the node is told to retry later (a retryable status, not an
 * internal error), nothing half-stored counts, and once the store is back the same upload completes and the round
 * publishes.
 */
class S3OutageTest {
    @TempDir
    Path dir;

    @Test
    void anUploadDuringAStorageOutageIsRefusedAsRetryableAndSucceedsAfterIt() throws Exception {
        FederationFixture fx = new FederationFixture(dir);
        try (LocalS3 s3 = LocalS3.start(Files.createDirectories(dir.resolve("s3")));
                EmbeddedHub hub = EmbeddedHub.start(dir.resolve("hub"), "t", FederationFixture.concat(
                        new String[] {"--spring.main.banner-mode=off", fx.modelsRoot()}, s3.hubArgs("outage")))) {
            fx.registerBase(hub);
            EdgeConfig node = FederationFixture.enroll(hub, "outage-node");
            String round = FederationFixture.openRound(hub, "task_arithmetic", Map.of("weight", 1), 1);
            Path tv = fx.taskVector(2);
            s3.pause();
            try (HubClient c = new HubClient(node.hub(), node.credential(), 2, 20)) {
                assertThatThrownBy(() -> c.upload(round, tv, Manifests.of(tv), n -> { }))
                        .hasMessageContaining("UNAVAILABLE").hasMessageContaining("storage");
            }
            assertThat(hub.admin().get("/api/v1/rounds/" + round).path("contributions").asInt()).isZero();
            s3.resume();
            try (HubClient c = FederationFixture.client(node)) {
                c.upload(round, tv, Manifests.of(tv), n -> { });
                hub.admin().post("/api/v1/rounds/" + round + "/trigger", null);
                hub.admin().awaitRound(round, "PUBLISHED", Duration.ofSeconds(30));
                assertThat(new ModelInstaller().install(c, round, dir.resolve("installed"), n -> { }).digest())
                        .isEqualTo(hub.admin().get("/api/v1/rounds/" + round + "/artifact")
                                .path("checkpointDigest").asString());
            }
        }
    }
}
