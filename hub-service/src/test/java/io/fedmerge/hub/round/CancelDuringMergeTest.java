package io.fedmerge.hub.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.hub.Federation;
import io.fedmerge.hub.TestHub;
import io.fedmerge.hub.node.NodeRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A round cancelled while it merges ends CANCELLED and publishes nothing: the merge stops at its next check (here
 * every tensor) and whatever it stored for the round is deleted. The test cancels once the merge is running; the
 * merge (TIES over ~130 MB of float32 deltas, two passes, one thread: seconds) outlasts that by far.
 */
class CancelDuringMergeTest {
    @TempDir
    static Path dir;
    static Federation models;
    static TestHub hub;

    @BeforeAll
    static void start() {
        models = new Federation(dir.resolve("models"), ModelShape.preset("small"), 1);
        hub = TestHub.start(dir.resolve("hub"), models.modelsRootArg(), "--fedmerge.hub.merge-threads=1",
                "--fedmerge.hub.merge-cancel-check=0s");
        Federation.registerBase(hub);
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void aRoundCancelledWhileMergingPublishesNothing() throws Exception {
        NodeRegistry.Enrollment node = hub.enroll("cancelled-contributor");
        RoundService rounds = hub.bean(RoundService.class);
        String round = rounds.create(new RoundRequest("base", "ties", Map.of(), Map.of("weight", 1, "density", 0.5),
                List.of(), 1, null), "test").id();
        try (HubClient c = new HubClient("127.0.0.1:" + hub.grpcPort(), node.credential())) {
            c.upload(round, models.taskVector(1), Manifests.of(models.taskVector(1)), n -> { });
        }
        MergeJobs jobs = hub.bean(MergeJobs.class);
        rounds.trigger(round, "test");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5)).until(() -> jobs.running() == 1);
        assertThat(rounds.cancel(round, "wrong base chosen", "test").state()).isEqualTo(RoundState.CANCELLED);
        await().atMost(Duration.ofSeconds(60)).until(() -> jobs.running() == 0);
        Round after = rounds.get(round);
        assertThat(after.state()).isEqualTo(RoundState.CANCELLED);
        assertThat(after.reason()).isEqualTo("wrong base chosen");
        assertThat(after.artifact()).isNull();
        Path artifacts = dir.resolve("hub/blobs/rounds/" + round + "/artifact");
        assertThat(!Files.exists(artifacts) || isEmpty(artifacts)).as("no artifact file left").isTrue();
        assertThat(dir.resolve("hub/blobs/rounds/" + round + "/merge.yml")).doesNotExist();
        assertThat(dir.resolve("hub/work/" + round)).doesNotExist();
    }

    static boolean isEmpty(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.findAny().isEmpty();
        }
    }
}
