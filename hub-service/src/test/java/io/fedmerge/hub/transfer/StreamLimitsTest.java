package io.fedmerge.hub.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.hub.Federation;
import io.fedmerge.hub.TestHub;
import io.fedmerge.hub.node.NodeRegistry;
import io.fedmerge.hub.storage.BlobStore;
import io.fedmerge.proto.v1.BeginUploadRequest;
import io.fedmerge.proto.v1.BeginUploadResponse;
import io.fedmerge.proto.v1.ContributionServiceGrpc;
import io.fedmerge.proto.v1.UploadChunk;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A peer that goes silent cannot hold what it opened: an upload stream sending nothing for the idle limit (1 s here)
 * ends DEADLINE_EXCEEDED and its session stays resumable; a session nobody touched for the session TTL expires and
 * its partial bytes are deleted.
 */
class StreamLimitsTest {
    @TempDir
    static Path dir;
    static Federation models;
    static TestHub hub;

    @BeforeAll
    static void start() {
        models = new Federation(dir.resolve("models"), ModelShape.preset("tiny"), 1);
        hub = TestHub.start(dir.resolve("hub"), models.modelsRootArg(),
                "--fedmerge.hub.streams.upload-idle-timeout=1s", "--fedmerge.hub.streams.sweep-interval=100ms");
        Federation.registerBase(hub);
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    record Opened(NodeRegistry.Enrollment node, String round, BeginUploadResponse begun, byte[] bytes,
            CompletableFuture<Throwable> ended, StreamObserver<UploadChunk> stream) {}

    /** Begins an upload and sends its first 16 KiB on a stream that then stays open and silent. */
    static Opened openAndGoSilent(String nodeName) throws Exception {
        NodeRegistry.Enrollment node = hub.enroll(nodeName);
        String round = Federation.openRound(hub);
        Path tv = models.taskVector(1);
        Channel c = TestHub.as(hub.channel(), node.credential());
        BeginUploadResponse begun = ContributionServiceGrpc.newBlockingStub(c).beginUpload(BeginUploadRequest
                .newBuilder().setRoundId(round).setManifest(Manifests.of(tv)).build());
        byte[] bytes = Files.readAllBytes(tv);
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        StreamObserver<UploadChunk> up = ContributionServiceGrpc.newStub(c)
                .uploadChunks(RevocationMidStreamTest.observer(ended));
        up.onNext(RevocationMidStreamTest.chunk(begun.getUploadId(), bytes, 0));
        return new Opened(node, round, begun, bytes, ended, up);
    }

    @Test
    void anIdleUploadStreamEndsAndTheUploadResumesFromWhatWasStored() throws Exception {
        Opened o = openAndGoSilent("silent-uploader");
        Throwable t = o.ended().get();
        assertThat(Status.fromThrowable(t).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(Status.fromThrowable(t).getDescription()).contains("no chunk for 1 s", "16384 bytes stored",
                "call BeginUpload to resume");
        assertThat(hub.bean(OpenStreams.class).size()).isZero();
        try (HubClient client = new HubClient("127.0.0.1:" + hub.grpcPort(), o.node().credential())) {
            HubClient.Uploaded u = client.upload(o.round(), models.taskVector(1),
                    Manifests.of(models.taskVector(1)), n -> { });
            assertThat(u.bytesSent()).isEqualTo(o.bytes().length - RevocationMidStreamTest.CHUNK);
        }
    }

    @Test
    void anAbandonedSessionExpiresAndItsPartialBytesAreDeleted() throws Exception {
        Opened o = openAndGoSilent("abandoning-uploader");
        o.ended().get();
        UploadStore store = hub.bean(UploadStore.class);
        Upload session = store.find(o.begun().getUploadId()).orElseThrow();
        assertThat(hub.bean(BlobStore.class).size(session.partialKey())).isEqualTo(RevocationMidStreamTest.CHUNK);
        // Its last progress a day and a second ago (the default TTL is 24 h): written, not waited for.
        hub.bean(JdbcClient.class).sql("update upload set updated_at = ? where id = ?")
                .params(Timestamp.from(Instant.now().minus(Duration.ofHours(24)).minusSeconds(1)), session.id())
                .update();
        hub.bean(UploadExpiry.class).expireAbandoned();
        assertThat(store.find(session.id()).orElseThrow().state()).isEqualTo(Upload.State.EXPIRED);
        assertThat(hub.bean(BlobStore.class).size(session.partialKey())).isEqualTo(-1);
    }

    @Test
    void aFreshSessionDoesNotExpire() throws Exception {
        Opened o = openAndGoSilent("recent-uploader");
        o.ended().get();
        hub.bean(UploadExpiry.class).expireAbandoned();
        Upload session = hub.bean(UploadStore.class).find(o.begun().getUploadId()).orElseThrow();
        assertThat(session.state()).isEqualTo(Upload.State.UPLOADING);
        await().atMost(Duration.ofSeconds(5)).until(() -> hub.bean(BlobStore.class).size(session.partialKey())
                == RevocationMidStreamTest.CHUNK);
    }
}
