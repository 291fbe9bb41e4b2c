package io.fedmerge.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointDigest;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.proto.v1.ArtifactFile;
import io.fedmerge.proto.v1.ArtifactManifest;
import io.fedmerge.proto.v1.DownloadFileRequest;
import io.fedmerge.proto.v1.FileChunk;
import io.fedmerge.proto.v1.GetArtifactRequest;
import io.fedmerge.proto.v1.ModelServiceGrpc;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The installer's two checks, against a model service on grpc-java's in-process transport that serves a real
 * generated checkpoint: a file whose bytes do not match its published SHA-256 and a checkpoint whose digest is not
 * the published one are both refused, and nothing is installed.
 */
class ModelInstallerTest {
    @TempDir
    Path dir;

    Path model;
    ArtifactManifest published;
    UnaryOperator<byte[]> tamper = UnaryOperator.identity();
    Server server;
    String name;

    /** Serves {@link #model}'s files as published in {@link #published}, each passed through {@link #tamper}. */
    final class ServedModel extends ModelServiceGrpc.ModelServiceImplBase {
        @Override
        public void getArtifact(GetArtifactRequest request, StreamObserver<ArtifactManifest> response) {
            response.onNext(published);
            response.onCompleted();
        }

        @Override
        public void downloadFile(DownloadFileRequest request, StreamObserver<FileChunk> response) {
            try {
                byte[] bytes = tamper.apply(Files.readAllBytes(model.resolve(request.getName())));
                int from = (int) request.getOffset();
                response.onNext(FileChunk.newBuilder().setOffset(from)
                        .setData(ByteString.copyFrom(bytes, from, bytes.length - from)).build());
                response.onCompleted();
            } catch (java.io.IOException e) {
                response.onError(e);
            }
        }
    }

    @BeforeEach
    void start() throws Exception {
        model = new CheckpointGenerator().generate(dir.resolve("models"), new CheckpointGenerator.Options(
                ModelShape.preset("tiny"), 1, 3, DType.BF16, CheckpointWriter.DEFAULT_SHARD_BYTES, 0, 1),
                MergeProgress.NONE).base();
        published = manifestOf(model);
        name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor().addService(new ServedModel()).build().start();
    }

    @AfterEach
    void stop() {
        server.shutdownNow();
    }

    @Test
    void aVerifiedModelIsInstalled() {
        try (HubClient c = client()) {
            ModelInstaller.Installed inst = new ModelInstaller().install(c, "r1", dir.resolve("installed"), n -> { });
            assertThat(inst.digest()).isEqualTo(published.getCheckpointDigest());
            assertThat(inst.dir().resolve("model.safetensors")).exists();
        }
    }

    @Test
    void aFileWhoseBytesAreNotThePublishedOnesIsDiscarded() {
        tamper = bytes -> {
            bytes[bytes.length - 1] ^= 1; // one flipped bit in the tensor data
            return bytes;
        };
        try (HubClient c = client()) {
            assertThatThrownBy(() -> new ModelInstaller().install(c, "r1", dir.resolve("installed"), n -> { }))
                    .isInstanceOf(FedmergeException.class).hasMessageContaining("has SHA-256")
                    .hasMessageContaining("the file was discarded");
        }
        assertThat(dir.resolve("installed")).doesNotExist();
    }

    @Test
    void filesThatMatchTheirHashesButNotThePublishedCheckpointAreRefused() {
        // a hub (or a store) that lists self-consistent files of another model: every SHA-256 matches what is
        // served, only the checkpoint digest can tell
        published = published.toBuilder().setCheckpointDigest("0".repeat(64)).build();
        try (HubClient c = client()) {
            assertThatThrownBy(() -> new ModelInstaller().install(c, "r1", dir.resolve("installed"), n -> { }))
                    .isInstanceOf(FedmergeException.class).hasMessageContaining("downloaded checkpoint has digest")
                    .hasMessageContaining("0".repeat(64));
        }
        assertThat(dir.resolve("installed")).doesNotExist();
        assertThat(dir.resolve(".installed.download")).doesNotExist();
    }

    private HubClient client() {
        return new HubClient(InProcessChannelBuilder.forName(name).directExecutor().build(), "fmn_test",
                RetryPolicy.attempts(1, 1));
    }

    private static ArtifactManifest manifestOf(Path model) throws Exception {
        ArtifactManifest.Builder m = ArtifactManifest.newBuilder().setRoundId("r1");
        try (Stream<Path> files = Files.list(model)) {
            for (Path f : files.sorted().toList()) {
                m.addFiles(ArtifactFile.newBuilder().setName(f.getFileName().toString()).setSize(Files.size(f))
                        .setSha256(Manifests.sha256(f)));
            }
        }
        try (Checkpoint c = Checkpoint.open(model)) {
            return m.setCheckpointDigest(CheckpointDigest.of(c)).build();
        }
    }
}
