package io.fedmerge.hub.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.edge.Manifests;
import io.fedmerge.hub.Federation;
import io.fedmerge.hub.TestHub;
import io.fedmerge.hub.node.NodeRegistry;
import io.fedmerge.proto.v1.BeginUploadRequest;
import io.fedmerge.proto.v1.ContributionServiceGrpc;
import io.fedmerge.proto.v1.UploadChunk;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every chunk carries a CRC-32C that is checked, including a declared value of 0, and nothing bad is stored. */
class ChunkChecksTest {
    @TempDir
    static Path dir;
    static Federation models;
    static TestHub hub;

    @BeforeAll
    static void start() {
        models = new Federation(dir.resolve("models"), ModelShape.preset("tiny"), 1);
        hub = TestHub.start(dir.resolve("hub"), models.modelsRootArg());
        Federation.registerBase(hub);
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    static Status sendOne(UploadChunk.Builder chunk) throws Exception {
        NodeRegistry.Enrollment node = hub.enroll("crc-" + System.nanoTime());
        Channel c = TestHub.as(hub.channel(), node.credential());
        String round = Federation.openRound(hub);
        String uploadId = ContributionServiceGrpc.newBlockingStub(c).beginUpload(BeginUploadRequest.newBuilder()
                .setRoundId(round).setManifest(Manifests.of(models.taskVector(1))).build()).getUploadId();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        StreamObserver<UploadChunk> up = ContributionServiceGrpc.newStub(c)
                .uploadChunks(RevocationMidStreamTest.observer(ended));
        up.onNext(chunk.setUploadId(uploadId).setOffset(0).build());
        up.onCompleted();
        Throwable t = ended.get();
        assertThat(hub.bean(UploadService.class).committedOffset(hub.bean(UploadStore.class).find(uploadId)
                .orElseThrow())).as("nothing stored").isZero();
        return Status.fromThrowable(t);
    }

    static ByteString firstBytes() throws Exception {
        return ByteString.copyFrom(Files.readAllBytes(models.taskVector(1)), 0, 4096);
    }

    @Test
    void aChunkWithoutAChecksumIsRefused() throws Exception {
        Status s = sendOne(UploadChunk.newBuilder().setData(firstBytes()));
        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).contains("carries no crc32c");
    }

    @Test
    void aDeclaredChecksumOfZeroIsCheckedLikeAnyOther() throws Exception {
        ByteString data = firstBytes();
        CRC32C crc = new CRC32C();
        crc.update(data.asReadOnlyByteBuffer());
        assertThat(crc.getValue()).as("these bytes' real CRC-32C").isNotZero();
        Status s = sendOne(UploadChunk.newBuilder().setData(data).setCrc32C(0));
        assertThat(s.getCode()).isEqualTo(Status.Code.DATA_LOSS);
        assertThat(s.getDescription()).contains("CRC-32C mismatch", "send it again");
    }
}
