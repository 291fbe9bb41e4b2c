package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * The edge daemon through its CLI: enroll, then watch contributes to a new round and installs what it publishes; a
 * cancelled round in its history does not stop it; a hub that restarts under it is reconnected to.
 */
class EdgeWatchTest {
    @TempDir
    Path dir;

    /** Enrolls "watcher" through the CLI; returns its configuration file. */
    Path enroll(EmbeddedHub hub) throws Exception {
        String token = hub.admin().post("/api/v1/enrollment-tokens", Map.of()).path("token").asString();
        Path config = dir.resolve("edge.json");
        Path tokenFile = Files.writeString(dir.resolve("enroll-token"), token + "\n");
        assertThat(Fedmerge.commandLine().execute("edge", "enroll", "--config", config.toString(), "--hub",
                hub.grpcTarget(), "--token-file", tokenFile.toString(), "--name", "watcher")).isZero();
        return config;
    }

    /** `edge watch --once` on its own thread (a daemon that blocks). */
    CompletableFuture<Integer> watch(FederationFixture fx, Path config) {
        return CompletableFuture.supplyAsync(() -> Fedmerge.commandLine().execute("edge", "watch", "--config",
                config.toString(), "--base", fx.models.resolve("base").toString(), "--finetuned",
                fx.models.resolve("hospital-1").toString(), "--models", dir.resolve("installed").toString(),
                "--work", dir.resolve("work").toString(), "--max-backoff", "1s", "--once"),
                Executors.newVirtualThreadPerTaskExecutor());
    }

    static void awaitContribution(EmbeddedHub hub, String round) {
        await().atMost(Duration.ofSeconds(60)).until(() -> hub.admin().get("/api/v1/rounds/" + round)
                .path("contributions").asInt() == 1);
    }

    @Test
    void watchContributesWhenInvitedAndInstallsThePublishedModel() throws Exception {
        FederationFixture fx = new FederationFixture(dir);
        try (EmbeddedHub hub = EmbeddedHub.start(dir.resolve("hub"), "w", "--spring.main.banner-mode=off",
                "--fedmerge.hub.keepalive-seconds=1", fx.modelsRoot())) {
            fx.registerBase(hub);
            Path config = enroll(hub);
            // A round cancelled before the daemon starts: replayed to it, skipped, never a reason to exit.
            String cancelled = FederationFixture.openRound(hub, "task_arithmetic", Map.of("weight", 1), 1);
            hub.admin().post("/api/v1/rounds/" + cancelled + "/cancel", Map.of("reason", "wrong base"));
            CompletableFuture<Integer> watch = watch(fx, config);
            String round = FederationFixture.openRound(hub, "task_arithmetic", Map.of("weight", 1), 1);
            awaitContribution(hub, round);
            assertThat(hub.admin().get("/api/v1/rounds/" + cancelled).path("contributions").asInt()).isZero();
            hub.admin().post("/api/v1/rounds/" + round + "/trigger", null);
            assertThat(watch.get(60, TimeUnit.SECONDS)).isZero();
            Path installed = dir.resolve("installed").resolve("round-" + round);
            assertThat(installed.resolve("model.safetensors")).exists();
            assertThat(installed.resolve("config.json")).exists();
            // What it handled is kept: a restarted daemon does not replay the hub's history.
            long last = JsonMapper.builder().build().readTree(Files.readString(dir.resolve("work/watch-state.json")))
                    .path("afterSequence").asLong();
            assertThat(last).isPositive();
        }
    }

    @Test
    void watchReconnectsAfterTheHubRestartsAndTakesPartInTheNextRound() throws Exception {
        FederationFixture fx = new FederationFixture(dir);
        String[] args = {"--spring.main.banner-mode=off", "--fedmerge.hub.keepalive-seconds=1", fx.modelsRoot()};
        EmbeddedHub.Ports ports;
        CompletableFuture<Integer> watch;
        try (EmbeddedHub hub = EmbeddedHub.start(dir.resolve("hub"), "w", args)) {
            fx.registerBase(hub);
            watch = watch(fx, enroll(hub));
            ports = hub.ports();
            // The daemon is connected once it has seen a keep-alive; its state file records it.
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dir.resolve("work/watch-state.json")));
        }
        assertThat(watch).isNotDone(); // the hub is gone; the daemon keeps trying
        try (EmbeddedHub hub = EmbeddedHub.start(dir.resolve("hub"), "w", ports, args)) {
            String round = FederationFixture.openRound(hub, "task_arithmetic", Map.of("weight", 1), 1);
            awaitContribution(hub, round);
            hub.admin().post("/api/v1/rounds/" + round + "/trigger", null);
            assertThat(watch.get(60, TimeUnit.SECONDS)).isZero();
            assertThat(dir.resolve("installed").resolve("round-" + round).resolve("model.safetensors")).exists();
        }
    }
}
