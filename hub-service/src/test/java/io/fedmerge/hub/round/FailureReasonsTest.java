package io.fedmerge.hub.round;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.hub.Federation;
import io.fedmerge.hub.TestHub;
import io.fedmerge.hub.node.NodeRegistry;
import io.fedmerge.proto.v1.GetRoundRequest;
import io.fedmerge.proto.v1.RoundEvent;
import io.fedmerge.proto.v1.RoundServiceGrpc;
import io.fedmerge.proto.v1.WatchRoundsRequest;
import io.grpc.Channel;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A merge that fails says why in the round's reason, and the reason often quotes a file of the hub's (a disk that
 * filled under the merge's output, say). Admins see it whole; nodes, outside the hub, get it with every absolute
 * path replaced, in GetRound and in their watch streams alike.
 */
class FailureReasonsTest {
    @TempDir
    static Path dir;
    static TestHub hub;

    @BeforeAll
    static void start() {
        Federation models = new Federation(dir.resolve("models"), ModelShape.preset("tiny"), 1);
        hub = TestHub.start(dir.resolve("hub"), models.modelsRootArg());
        Federation.registerBase(hub);
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void nodesNeverSeeTheHubsPathsInAFailedRoundsReason() {
        NodeRegistry.Enrollment node = hub.enroll("reader");
        String round = Federation.openRound(hub);
        RoundStore rounds = hub.bean(RoundStore.class);
        String secretPath = dir.resolve("hub/work/abc/.artifact.partial/model.safetensors").toAbsolutePath()
                .toString();
        rounds.startMerge(round);
        rounds.transition(round, RoundState.MERGING, RoundState.FAILED, "merge failed: cannot write tensor to "
                + secretPath + " (disk full? free space or choose another output directory)", null);
        rounds.signal();
        assertThat(rounds.get(round).reason()).as("the admin's view").contains(secretPath);

        Channel ch = TestHub.as(hub.channel(), node.credential());
        String viaGetRound = RoundServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getRound(GetRoundRequest.newBuilder().setRoundId(round).build()).getReason();
        assertThat(viaGetRound).doesNotContain(dir.toString()).contains("<hub path>").contains("disk full?");

        Iterator<RoundEvent> events = RoundServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                .watchRounds(WatchRoundsRequest.newBuilder().setAfterSequence(0).build());
        RoundEvent failed = null;
        while (failed == null && events.hasNext()) {
            RoundEvent e = events.next();
            if (e.getRoundId().equals(round) && !e.getReason().isEmpty()) {
                failed = e;
            }
        }
        assertThat(failed).isNotNull();
        assertThat(failed.getReason()).doesNotContain(dir.toString()).contains("<hub path>");
    }
}
