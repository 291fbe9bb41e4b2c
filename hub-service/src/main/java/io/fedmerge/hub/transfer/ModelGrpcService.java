package io.fedmerge.hub.transfer;

import com.google.protobuf.ByteString;
import io.fedmerge.hub.HubException;
import io.fedmerge.hub.metrics.HubMetrics;
import io.fedmerge.hub.node.Node;
import io.fedmerge.hub.round.Artifact;
import io.fedmerge.hub.round.Round;
import io.fedmerge.hub.round.RoundState;
import io.fedmerge.hub.round.RoundStore;
import io.fedmerge.hub.security.GrpcErrors;
import io.fedmerge.hub.security.NodeContext;
import io.fedmerge.hub.storage.BlobStore;
import io.fedmerge.proto.v1.ArtifactFile;
import io.fedmerge.proto.v1.ArtifactManifest;
import io.fedmerge.proto.v1.DownloadFileRequest;
import io.fedmerge.proto.v1.FileChunk;
import io.fedmerge.proto.v1.GetArtifactRequest;
import io.fedmerge.proto.v1.ModelServiceGrpc;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import org.springframework.stereotype.Service;

/** Published checkpoints, file by file, resumable from any offset; only to nodes invited to the round. */
@Service
class ModelGrpcService extends ModelServiceGrpc.ModelServiceImplBase {
    private static final int CHUNK = 1 << 20;
    private final RoundStore rounds;
    private final BlobStore blobs;
    private final HubMetrics metrics;

    ModelGrpcService(RoundStore rounds, BlobStore blobs, HubMetrics metrics) {
        this.rounds = rounds;
        this.blobs = blobs;
        this.metrics = metrics;
    }

    private Round published(Node node, String roundId) {
        Round r = rounds.find(roundId).orElseThrow(() -> HubException.notFound("no round " + roundId));
        if (!rounds.invited(roundId, node.id())) {
            throw HubException.denied("node " + node.name() + " is not part of round " + roundId);
        }
        if (r.state() != RoundState.PUBLISHED) {
            throw HubException.precondition("not_published", "round " + roundId + " is " + r.state()
                    + "; nothing is published yet");
        }
        return r;
    }

    @Override
    public void getArtifact(GetArtifactRequest request, StreamObserver<ArtifactManifest> response) {
        try {
            Round r = published(NodeContext.current(), request.getRoundId());
            ArtifactManifest.Builder b = ArtifactManifest.newBuilder().setRoundId(r.id())
                    .setCheckpointDigest(r.artifact().checkpointDigest()).setMergeMethod(r.mergeMethod())
                    .setContributions(r.artifact().contributions());
            for (Artifact.File f : r.artifact().files()) {
                b.addFiles(ArtifactFile.newBuilder().setName(f.name()).setSize(f.size()).setSha256(f.sha256()));
            }
            response.onNext(b.build());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.of(e));
        }
    }

    @Override
    public void downloadFile(DownloadFileRequest request, StreamObserver<FileChunk> plain) {
        ServerCallStreamObserver<FileChunk> response = (ServerCallStreamObserver<FileChunk>) plain;
        SeekableByteChannel channel;
        long size;
        try {
            Round r = published(NodeContext.current(), request.getRoundId());
            Artifact.File file = r.artifact().files().stream().filter(f -> f.name().equals(request.getName()))
                    .findFirst().orElseThrow(() -> HubException.notFound("round " + r.id() + " has no file '"
                            + request.getName() + "'"));
            if (request.getOffset() > file.size()) {
                throw HubException.invalid("bad_offset", "offset " + request.getOffset() + " is beyond the "
                        + file.size() + "-byte file");
            }
            size = file.size();
            channel = blobs.read("rounds/" + r.id() + "/artifact/" + file.name()).position(request.getOffset());
        } catch (RuntimeException | IOException e) {
            plain.onError(GrpcErrors.of(e));
            return;
        }
        metrics.transferStarted();
        new Sender(response, channel, request.getOffset(), size).start();
    }

    /**
     * Sends only while the transport is ready and resumes from onReady, so a slow hospital link never makes the hub
     * buffer a model in memory.
     */
    private final class Sender implements Runnable {
        private final ServerCallStreamObserver<FileChunk> out;
        private final SeekableByteChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
        private final long size;
        private long offset;
        private boolean done;

        Sender(ServerCallStreamObserver<FileChunk> out, SeekableByteChannel channel, long offset, long size) {
            this.out = out;
            this.channel = channel;
            this.offset = offset;
            this.size = size;
        }

        void start() {
            // Above the 32 KiB default a few 1 MiB chunks may queue, so the link stays busy between onReady calls.
            out.setOnReadyThreshold(4 << 20);
            out.setOnCancelHandler(this::finish);
            out.setOnReadyHandler(this);
            run();
        }

        @Override
        public synchronized void run() {
            try {
                while (!done && out.isReady()) {
                    if (offset >= size) {
                        finish();
                        out.onCompleted();
                        return;
                    }
                    buffer.clear();
                    int n = channel.read(buffer);
                    if (n <= 0) {
                        throw new IOException("file ended at " + offset + " of " + size + " bytes");
                    }
                    out.onNext(FileChunk.newBuilder().setOffset(offset).setData(ByteString.copyFrom(buffer.flip()))
                            .build());
                    offset += n;
                    metrics.sent(n);
                }
            } catch (IOException | RuntimeException e) {
                finish();
                out.onError(GrpcErrors.of(e));
            }
        }

        private synchronized void finish() {
            if (done) {
                return;
            }
            done = true;
            metrics.transferEnded();
            try {
                channel.close();
            } catch (IOException ignored) {
                // read-only channel
            }
        }
    }
}
