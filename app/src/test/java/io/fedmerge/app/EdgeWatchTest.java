package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The edge daemon through its CLI: enroll, then watch contributes to a new round and installs what it publishes. */
class EdgeWatchTest {
    @TempDir
    Path dir;

    @Test
    void watchContributesWhenInvitedAndInstallsThePublishedModel() throws Exception {
        FederationFixture fx = new FederationFixture(dir);
        try (EmbeddedHub hub = EmbeddedHub.start(dir.resolve("hub"), "w", "--spring.main.banner-mode=off",
                "--fedmerge.hub.keepalive-seconds=1", fx.modelsRoot())) {
            fx.registerBase(hub);
            String token = hub.admin().post("/api/v1/enrollment-tokens", Map.of()).path("token").asString();
            Path config = dir.resolve("edge.json");
            Path tokenFile = java.nio.file.Files.writeString(dir.resolve("enroll-token"), token + "\n");
            assertThat(Fedmerge.commandLine().execute("edge", "enroll", "--config", config.toString(), "--hub",
                    hub.grpcTarget(), "--token-file", tokenFile.toString(), "--name", "watcher")).isZero();
            Path models = dir.resolve("installed");
            CompletableFuture<Integer> watch = CompletableFuture.supplyAsync(() -> Fedmerge.commandLine().execute(
                    "edge", "watch", "--config", config.toString(), "--base", fx.models.resolve("base").toString(),
                    "--finetuned", fx.models.resolve("hospital-1").toString(), "--models", models.toString(),
                    "--work", dir.resolve("work").toString(), "--once"),
                    java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
            String round = FederationFixture.openRound(hub, "task_arithmetic", Map.of("weight", 1), 1);
            await().atMost(Duration.ofSeconds(60)).until(() -> hub.admin().get("/api/v1/rounds/" + round)
                    .path("contributions").asInt() == 1);
            hub.admin().post("/api/v1/rounds/" + round + "/trigger", null);
            assertThat(watch.get(60, TimeUnit.SECONDS)).isZero();
            assertThat(models.resolve("round-" + round).resolve("model.safetensors")).exists();
            assertThat(models.resolve("round-" + round).resolve("config.json")).exists();
        }
    }
}
