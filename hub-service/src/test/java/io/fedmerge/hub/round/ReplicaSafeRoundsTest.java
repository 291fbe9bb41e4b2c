package io.fedmerge.hub.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.hub.Federation;
import io.fedmerge.hub.Postgres;
import io.fedmerge.hub.TestHub;
import io.fedmerge.hub.node.NodeRegistry;
import io.fedmerge.hub.storage.BlobStore;
import io.fedmerge.hub.transfer.Upload;
import io.fedmerge.hub.transfer.UploadStore;
import io.fedmerge.proto.v1.CommitUploadRequest;
import io.fedmerge.proto.v1.ContributionServiceGrpc;
import io.fedmerge.proto.v1.RoundEvent;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Two hubs on one PostgreSQL schema. A commit and the start of a merge serialise on the round's row whatever the
 * interleaving, a merge reads exactly the contributions it snapshotted, a replacement never overwrites a blob, and
 * watchers on one replica see events written by the other within the event poll, not at the next keep-alive.
 */
class ReplicaSafeRoundsTest {
    @TempDir
    static Path dir;
    static Federation models;
    static TestHub a;
    static TestHub b;

    @BeforeAll
    static void start() {
        String[] db = Postgres.freshSchemaArgs();
        models = new Federation(dir.resolve("models"), ModelShape.preset("tiny"), 2);
        // Long keep-alives, so an event that arrives quickly arrived through the poll; no background adoption.
        String[] common = {db[0], db[1], models.modelsRootArg(), "--fedmerge.hub.keepalive-seconds=120",
            "--fedmerge.hub.lease-check-ms=3600000", "--fedmerge.hub.event-poll-ms=200"};
        a = TestHub.start(dir.resolve("a"), common);
        b = TestHub.start(dir.resolve("b"), common);
        Federation.registerBase(a);
    }

    @AfterAll
    static void stop() {
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
    }

    /** Uploads every byte of fine-tune {@code variant}'s task vector without committing; returns the upload id. */
    static String uploadWithoutCommit(NodeRegistry.Enrollment node, String round, int variant) throws Exception {
        return Federation.sendWithoutCommit(TestHub.as(a.channel(), node.credential()), round,
                models.taskVector(variant));
    }

    static Status commit(NodeRegistry.Enrollment node, String uploadId, int variant) {
        try {
            ContributionServiceGrpc.newBlockingStub(TestHub.as(a.channel(), node.credential())).commitUpload(
                    CommitUploadRequest.newBuilder().setUploadId(uploadId)
                            .setSha256(Manifests.of(models.taskVector(variant)).getSha256()).build());
            return Status.OK;
        } catch (io.grpc.StatusRuntimeException e) {
            return e.getStatus();
        }
    }

    static RoundEvent nextEventOf(Iterator<RoundEvent> events, String round) {
        while (events.hasNext()) {
            RoundEvent e = events.next();
            if (!e.getKeepalive() && e.getRoundId().equals(round)) {
                return e;
            }
        }
        throw new AssertionError("the watch stream ended before an event of round " + round);
    }

    static long backendsWaitingOnALock() {
        return a.bean(JdbcClient.class).sql("select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
                + " and datname = current_database()").query(Long.class).single();
    }

    @Test
    void aCommitBlockedBehindTheStartOfAMergeIsRefusedAndNotInTheSnapshot() throws Exception {
        NodeRegistry.Enrollment node = a.enroll("late-committer");
        String round = Federation.openRound(a);
        String uploadId = uploadWithoutCommit(node, round, 1);
        RoundStore rounds = a.bean(RoundStore.class);
        CountDownLatch locked = new CountDownLatch(1);
        // Threads of its own: the common pool may have a single thread on a 2-core machine.
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        CompletableFuture<Void> merger = CompletableFuture.runAsync(() -> a.bean(TransactionTemplate.class)
                .executeWithoutResult(s -> {
                    assertThat(rounds.lockState(round)).contains(RoundState.OPEN);
                    locked.countDown();
                    // Start the merge only once the commit is really waiting for this row.
                    await().atMost(Duration.ofSeconds(60)).until(() -> backendsWaitingOnALock() >= 1);
                    assertThat(rounds.startMerge(round)).isTrue();
                }), threads);
        locked.await();
        CompletableFuture<Status> committed = CompletableFuture.supplyAsync(() -> commit(node, uploadId, 1), threads);
        merger.get();
        Status s = committed.get();
        assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(s.getDescription()).contains("is MERGING", "no longer accepts contributions");
        assertThat(a.bean(UploadStore.class).mergeInputs(round)).isEmpty();
        Upload u = a.bean(UploadStore.class).committed(round).stream().findFirst().orElse(null);
        assertThat(u).as("nothing committed into a merging round").isNull();
        assertThat(a.bean(BlobStore.class).size("rounds/" + round + "/contributions/" + uploadId + ".safetensors"))
                .as("the verified bytes that could not count are gone").isEqualTo(-1);
    }

    @Test
    void aCommitBeforeTheStartOfAMergeIsExactlyWhatTheMergeReads() throws Exception {
        NodeRegistry.Enrollment node = a.enroll("early-committer");
        String round = Federation.openRound(a);
        String uploadId = uploadWithoutCommit(node, round, 1);
        assertThat(commit(node, uploadId, 1).getCode()).isEqualTo(Status.Code.OK);
        assertThat(a.bean(RoundStore.class).startMerge(round)).isTrue();
        assertThat(a.bean(UploadStore.class).mergeInputs(round)).extracting(Upload::id).containsExactly(uploadId);
    }

    @Test
    void aReplacementIsStoredBesideTheOldContributionNeverOverIt() throws Exception {
        NodeRegistry.Enrollment node = a.enroll("replacing-node");
        String round = Federation.openRound(a);
        String first = uploadWithoutCommit(node, round, 1);
        assertThat(commit(node, first, 1).getCode()).isEqualTo(Status.Code.OK);
        Upload before = a.bean(UploadStore.class).committed(round).getFirst();
        String second = uploadWithoutCommit(node, round, 2);
        assertThat(commit(node, second, 2).getCode()).isEqualTo(Status.Code.OK);
        Upload after = a.bean(UploadStore.class).committed(round).getFirst();
        assertThat(after.id()).isEqualTo(second);
        assertThat(after.blobKey()).isNotEqualTo(before.blobKey()).endsWith(second + ".safetensors");
        assertThat(a.bean(BlobStore.class).size(before.blobKey())).as("the replaced bytes are deleted").isEqualTo(-1);
        assertThat(a.bean(RoundStore.class).startMerge(round)).isTrue();
        assertThat(a.bean(UploadStore.class).mergeInputs(round)).extracting(Upload::id).containsExactly(second);
    }

    @Test
    void aWatcherOnOneReplicaSeesARoundOpenedOnTheOtherWithinThePoll() throws Exception {
        NodeRegistry.Enrollment node = b.enroll("watching-node");
        try (HubClient c = new HubClient("127.0.0.1:" + b.grpcPort(), node.credential())) {
            long after = b.bean(RoundStore.class).eventsAfter(0).stream().mapToLong(RoundStore.Event::sequence)
                    .max().orElse(0);
            Iterator<RoundEvent> events = c.watch(after);
            // First a round opened on B itself: once its event arrives, the stream is live and waiting.
            String local = Federation.openRound(b);
            assertThat(nextEventOf(events, local).getState()).isEqualTo(io.fedmerge.proto.v1.RoundState.ROUND_OPEN);
            String round = Federation.openRound(a);
            CompletableFuture<RoundEvent> seen = CompletableFuture.supplyAsync(() -> nextEventOf(events, round),
                    Executors.newVirtualThreadPerTaskExecutor());
            // Far below the 120 s keep-alive: only the cross-replica poll can deliver it this soon.
            await().atMost(Duration.ofSeconds(15)).until(seen::isDone);
            assertThat(seen.get().getState()).isEqualTo(io.fedmerge.proto.v1.RoundState.ROUND_OPEN);
        }
    }
}
