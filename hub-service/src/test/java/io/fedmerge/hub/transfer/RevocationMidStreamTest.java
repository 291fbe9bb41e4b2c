package io.fedmerge.hub.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.hub.AdminHttp;
import io.fedmerge.hub.Federation;
import io.fedmerge.hub.TestHub;
import io.fedmerge.hub.node.NodeRegistry;
import io.fedmerge.hub.round.RoundService;
import io.fedmerge.hub.round.RoundState;
import io.fedmerge.hub.storage.BlobStore;
import io.fedmerge.proto.v1.ArtifactFile;
import io.fedmerge.proto.v1.BeginUploadRequest;
import io.fedmerge.proto.v1.BeginUploadResponse;
import io.fedmerge.proto.v1.ContributionServiceGrpc;
import io.fedmerge.proto.v1.DownloadFileRequest;
import io.fedmerge.proto.v1.FileChunk;
import io.fedmerge.proto.v1.ModelServiceGrpc;
import io.fedmerge.proto.v1.UploadChunk;
import io.fedmerge.proto.v1.UploadChunksResponse;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node revoked while it streams is cut off within one re-check (64 KiB here), not at the end of the file: its
 * upload stream ends UNAUTHENTICATED and the partial upload is discarded; its download ends UNAUTHENTICATED long
 * before the file does.
 */
class RevocationMidStreamTest {
    static final int RECHECK = 64 << 10;
    static final int CHUNK = 16 << 10;
    @TempDir
    static Path dir;
    static Federation models;
    static TestHub hub;

    @BeforeAll
    static void start() {
        models = new Federation(dir.resolve("models"), ModelShape.preset("small").withLayers(2), 1);
        hub = TestHub.start(dir.resolve("hub"), models.modelsRootArg(), "--fedmerge.hub.streams.recheck-bytes=64KB",
                "--fedmerge.hub.streams.recheck-interval=1h");
        Federation.registerBase(hub);
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    double bytesReceived() {
        return hub.bean(MeterRegistry.class).counter("fedmerge.bytes.received").count();
    }

    @Test
    void aNodeRevokedMidUploadIsCutOffAndItsPartialUploadDiscarded() throws Exception {
        NodeRegistry.Enrollment node = hub.enroll("revoked-uploader");
        String round = Federation.openRound(hub);
        Path tv = models.taskVector(1);
        byte[] bytes = Files.readAllBytes(tv);
        Channel c = TestHub.as(hub.channel(), node.credential());
        BeginUploadResponse begun = ContributionServiceGrpc.newBlockingStub(c).beginUpload(BeginUploadRequest
                .newBuilder().setRoundId(round).setManifest(Manifests.of(tv)).build());
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        StreamObserver<UploadChunk> up = ContributionServiceGrpc.newStub(c).uploadChunks(observer(ended));
        int offset = 0;
        for (; offset < 4 * CHUNK; offset += CHUNK) {
            up.onNext(chunk(begun.getUploadId(), bytes, offset));
        }
        UploadService uploads = hub.bean(UploadService.class);
        Upload session = uploads.session(hubNode(node), begun.getUploadId());
        await().atMost(Duration.ofSeconds(30)).until(() -> uploads.committedOffset(session) == 4L * CHUNK);
        double before = bytesReceived();

        assertThat(new AdminHttp(hub, TestHub.ADMIN_TOKEN).delete("/api/v1/nodes/" + node.nodeId()).status())
                .isEqualTo(204);
        for (; offset + CHUNK <= bytes.length && !ended.isDone(); offset += CHUNK) {
            up.onNext(chunk(begun.getUploadId(), bytes, offset));
        }
        Throwable t = ended.get();
        assertThat(Status.fromThrowable(t).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(Status.fromThrowable(t).getDescription()).contains("revoked");
        // At most one re-check's worth of bytes (plus the chunk that crossed it) after the revocation.
        assertThat(bytesReceived() - before).isLessThanOrEqualTo(RECHECK + CHUNK);
        assertThat(offset).isLessThan(bytes.length);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(hub.bean(UploadStore.class).find(begun.getUploadId()).orElseThrow().state())
                    .isEqualTo(Upload.State.SUPERSEDED);
            assertThat(hub.bean(BlobStore.class).size(session.partialKey())).isEqualTo(-1);
        });
    }

    @Test
    void aNodeRevokedMidDownloadStopsReceiving() throws Exception {
        NodeRegistry.Enrollment node = hub.enroll("revoked-downloader");
        String round = Federation.openRound(hub);
        try (HubClient client = new HubClient("127.0.0.1:" + hub.grpcPort(), node.credential())) {
            client.upload(round, models.taskVector(1), Manifests.of(models.taskVector(1)), n -> { });
        }
        hub.bean(RoundService.class).trigger(round, "test");
        await().atMost(Duration.ofSeconds(60)).until(() -> hub.bean(RoundService.class).get(round).state()
                == RoundState.PUBLISHED);
        ArtifactFile file;
        try (HubClient client = new HubClient("127.0.0.1:" + hub.grpcPort(), node.credential())) {
            file = client.artifact(round).getFilesList().stream().filter(f -> f.getName().endsWith(".safetensors"))
                    .findFirst().orElseThrow();
        }
        assertThat(file.getSize()).isGreaterThan(20L << 20);

        // The receiver asks for one chunk at a time, so nothing arrives that it did not request.
        AtomicLong received = new AtomicLong();
        AtomicBoolean revoked = new AtomicBoolean();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        CompletableFuture<Void> first = new CompletableFuture<>();
        ClientCallStreamObserver<?>[] call = new ClientCallStreamObserver<?>[1];
        ModelServiceGrpc.newStub(TestHub.as(hub.channel(), node.credential())).downloadFile(DownloadFileRequest
                .newBuilder().setRoundId(round).setName(file.getName()).build(),
                new ClientResponseObserver<DownloadFileRequest, FileChunk>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<DownloadFileRequest> r) {
                        call[0] = r;
                        r.disableAutoRequestWithInitial(1);
                    }

                    @Override
                    public void onNext(FileChunk c) {
                        received.addAndGet(c.getData().size());
                        first.complete(null);
                        if (revoked.get()) {
                            call[0].request(1); // after the revocation the receiver reads as fast as it can
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        ended.complete(t);
                    }

                    @Override
                    public void onCompleted() {
                        ended.complete(null);
                    }
                });
        first.get();
        assertThat(new AdminHttp(hub, TestHub.ADMIN_TOKEN).delete("/api/v1/nodes/" + node.nodeId()).status())
                .isEqualTo(204);
        revoked.set(true);
        call[0].request(1);
        Throwable t = ended.get();
        assertThat(t).as("the download must not complete after the revocation").isNotNull();
        assertThat(Status.fromThrowable(t).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(received.get()).isLessThan(file.getSize());
    }

    static io.fedmerge.hub.node.Node hubNode(NodeRegistry.Enrollment e) {
        return hub.bean(NodeRegistry.class).node(e.nodeId()).orElseThrow();
    }

    static UploadChunk chunk(String uploadId, byte[] bytes, int offset) {
        ByteString data = ByteString.copyFrom(bytes, offset, Math.min(CHUNK, bytes.length - offset));
        CRC32C crc = new CRC32C();
        crc.update(data.asReadOnlyByteBuffer());
        return UploadChunk.newBuilder().setUploadId(uploadId).setOffset(offset).setData(data)
                .setCrc32C((int) crc.getValue()).build();
    }

    static StreamObserver<UploadChunksResponse> observer(CompletableFuture<Throwable> done) {
        return new StreamObserver<>() {
            @Override
            public void onNext(UploadChunksResponse v) {}

            @Override
            public void onError(Throwable t) {
                done.complete(t);
            }

            @Override
            public void onCompleted() {
                done.complete(null);
            }
        };
    }
}
