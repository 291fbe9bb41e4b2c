package io.fedmerge.hub.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.edge.HubCallException;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.hub.AdminHttp;
import io.fedmerge.hub.Federation;
import io.fedmerge.hub.TestHub;
import io.fedmerge.hub.node.NodeRegistry;
import io.fedmerge.hub.round.RoundService;
import io.fedmerge.hub.round.RoundState;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub's data directory on a 48 MB tmpfs of its own (mounted by the test; skipped where mounting is not
 * allowed), with a 8 MB reserve. Another process fills the volume: uploads that do not fit are refused before a
 * byte moves, readiness goes DOWN, calls answer 503/UNAVAILABLE instead of 500/INTERNAL, and once space is back
 * the same hub (no restart) serves again and the interrupted upload resumes.
 */
class DiskFullTest {
    @TempDir
    static Path dir;
    static Tmpfs volume;
    static Federation models;
    static TestHub hub;

    @BeforeAll
    static void start() throws Exception {
        StringBuilder whyNot = new StringBuilder();
        volume = Tmpfs.mount(dir.resolve("volume"), "48m", whyNot);
        Assumptions.assumeTrue(volume != null, whyNot::toString);
        models = new Federation(dir.resolve("models"), ModelShape.preset("tiny"), 1);
        hub = TestHub.start(volume.path().resolve("hub"), models.modelsRootArg(), "--fedmerge.hub.disk.reserve=8MB",
                "--fedmerge.hub.database-probe-ms=200");
        Federation.registerBase(hub);
    }

    @AfterAll
    static void stop() throws Exception {
        if (hub != null) {
            hub.close();
        }
        if (volume != null) {
            volume.close();
        }
    }

    static Path fillLeaving(long free) throws IOException {
        return volume.fillLeaving(free);
    }

    static RawReadiness readiness() {
        return new RawReadiness(new AdminHttp(hub, null).managementGet(hub.managementPort(),
                "/actuator/health/readiness"));
    }

    record RawReadiness(AdminHttp.Reply reply) {
        boolean up() {
            return reply.status() == 200 && "UP".equals(reply.body().path("status").asString());
        }
    }

    @Test
    void aFullVolumeRefusesWorkRetryablyTurnsReadinessDownAndRecoversWithoutARestart() throws Exception {
        NodeRegistry.Enrollment node = hub.enroll("disk-node");
        String round = Federation.openRound(hub);
        Path tv = models.taskVector(1);
        long size = Files.size(tv);
        assertThat(readiness().up()).isTrue();

        // Room for less than this upload above the reserve: refused before any byte, retryably.
        Path junk = fillLeaving(8_000_000 + size / 2);
        try (HubClient c = new HubClient("127.0.0.1:" + hub.grpcPort(), node.credential(), 1, 1)) {
            assertThatThrownBy(() -> c.upload(round, tv, Manifests.of(tv), n -> { }))
                    .isInstanceOfSatisfying(HubCallException.class, e -> {
                        assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE);
                        assertThat(e.getMessage()).contains("this upload needs", "above its reserve", "retry later");
                    });
        }
        Files.delete(junk);

        // Inside the reserve, and then completely full: not ready, and calls are 503 problem details, not 500.
        junk = fillLeaving(0);
        await().atMost(Duration.ofSeconds(30)).until(() -> !readiness().up());
        assertThat(readiness().reply().body().path("components").path("diskSpace").path("status").asString())
                .isEqualTo("DOWN");
        AdminHttp admin = new AdminHttp(hub, TestHub.ADMIN_TOKEN);
        for (int i = 0; i < 50; i++) {
            int status = admin.post("/api/v1/enrollment-tokens", Map.of("ttlMinutes", 5, "note", "x".repeat(150)))
                    .status();
            assertThat(status).as("a call on a full volume").isIn(201, 503);
        }

        // Space is back: the same hub serves again, and the upload goes through.
        Files.delete(junk);
        await().atMost(Duration.ofSeconds(30)).until(() -> readiness().up());
        await().atMost(Duration.ofSeconds(30)).until(() -> admin.post("/api/v1/enrollment-tokens",
                Map.of("ttlMinutes", 5)).status() == 201);
        try (HubClient c = new HubClient("127.0.0.1:" + hub.grpcPort(), node.credential(), 5, 100)) {
            c.upload(round, tv, Manifests.of(tv), n -> { });
        }
        hub.bean(RoundService.class).trigger(round, "test");
        await().atMost(Duration.ofSeconds(60)).until(() -> hub.bean(RoundService.class).get(round).state()
                == RoundState.PUBLISHED);
    }
}
