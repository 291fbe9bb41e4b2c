package io.fedmerge.hub.transfer;

import io.fedmerge.hub.HubException;
import io.fedmerge.hub.HubProperties;
import io.fedmerge.hub.metrics.HubMetrics;
import io.fedmerge.hub.node.Node;
import io.fedmerge.hub.round.Artifact;
import io.fedmerge.hub.round.Round;
import io.fedmerge.hub.round.RoundState;
import io.fedmerge.hub.round.RoundStore;
import io.fedmerge.hub.security.GrpcErrors;
import io.fedmerge.hub.security.NodeContext;
import io.fedmerge.hub.security.StreamRecheck;
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
import java.nio.channels.SeekableByteChannel;
import java.util.List;
import org.springframework.stereotype.Service;

/** Published checkpoints and adapters, file by file, resumable from any offset; only to nodes invited to the round. */
@Service
class ModelGrpcService extends ModelServiceGrpc.ModelServiceImplBase {
    private static final String ADAPTER_PREFIX = "adapter/";

    private final RoundStore rounds;
    private final BlobStore blobs;
    private final HubMetrics metrics;
    private final OpenStreams streams;
    private final HubProperties properties;

    ModelGrpcService(RoundStore rounds, BlobStore blobs, HubMetrics metrics, OpenStreams streams,
            HubProperties properties) {
        this.rounds = rounds;
        this.blobs = blobs;
        this.metrics = metrics;
        this.streams = streams;
        this.properties = properties;
    }

    private static ArtifactFile file(Artifact.File f) {
        return ArtifactFile.newBuilder().setName(f.name()).setSize(f.size()).setSha256(f.sha256()).build();
    }

    /** What a node may download: the round's published files, or while it is EVALUATING one of its candidates. */
    private record Served(Round round, List<Artifact.File> files, String digest, String prefix, Artifact.Adapter adapter) {}

    private Served served(Node node, String roundId, int candidate) {
        Round r = rounds.find(roundId).orElseThrow(() -> HubException.notFound("no round " + roundId));
        if (!rounds.invited(roundId, node.id())) {
            throw HubException.denied("node " + node.name() + " is not part of round " + roundId);
        }
        String round = "rounds/" + r.id() + "/";
        if (candidate > 0) {
            if (r.state() != RoundState.EVALUATING) {
                throw HubException.precondition("not_evaluating", "round " + roundId + " is " + r.state()
                        + "; its candidates are served only while it is EVALUATING");
            }
            List<Artifact.Candidate> all = r.artifact().evaluation().candidates();
            if (candidate > all.size()) {
                throw HubException.notFound("round " + roundId + " has " + all.size() + " candidate(s), not "
                        + candidate);
            }
            Artifact.Candidate c = all.get(candidate - 1);
            return new Served(r, c.files(), c.checkpointDigest(), round + "candidates/" + candidate + "/", null);
        }
        if (r.state() != RoundState.PUBLISHED) {
            throw HubException.precondition("not_published", "round " + roundId + " is " + r.state()
                    + "; nothing is published yet");
        }
        Artifact a = r.artifact();
        return new Served(r, a.files(), a.checkpointDigest(), round + "artifact/", a.adapter());
    }

    @Override
    public void getArtifact(GetArtifactRequest request, StreamObserver<ArtifactManifest> response) {
        try {
            Served s = served(NodeContext.current(), request.getRoundId(), request.getCandidate());
            Round r = s.round();
            ArtifactManifest.Builder b = ArtifactManifest.newBuilder().setRoundId(r.id())
                    .setCheckpointDigest(s.digest() == null ? "" : s.digest())
                    .setMergeMethod(r.mergeMethod()).setContributions(r.artifact().contributions());
            for (Artifact.File f : s.files()) {
                b.addFiles(file(f));
            }
            if (s.adapter() != null) {
                s.adapter().files().forEach(f -> b.addAdapterFiles(file(f)));
                b.setAdapterHow(s.adapter().how()).setAdapterRank(s.adapter().rank())
                        .setAdapterRelativeError(s.adapter().worstRelativeError());
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
            Served s = served(NodeContext.current(), request.getRoundId(), request.getCandidate());
            Round r = s.round();
            boolean ofAdapter = request.getName().startsWith(ADAPTER_PREFIX);
            String name = ofAdapter ? request.getName().substring(ADAPTER_PREFIX.length()) : request.getName();
            List<Artifact.File> files = !ofAdapter ? s.files() : s.adapter() == null ? List.of() : s.adapter().files();
            Artifact.File file = files.stream().filter(f -> f.name().equals(name)).findFirst()
                    .orElseThrow(() -> HubException.notFound("round " + r.id() + " has no file '"
                            + request.getName() + "'"));
            if (request.getOffset() > file.size()) {
                throw HubException.invalid("bad_offset", "offset " + request.getOffset() + " is beyond the "
                        + file.size() + "-byte file");
            }
            size = file.size();
            channel = blobs.read((ofAdapter ? "rounds/" + r.id() + "/adapter/" : s.prefix()) + file.name())
                    .position(request.getOffset());
        } catch (RuntimeException | IOException e) {
            plain.onError(GrpcErrors.of(e));
            return;
        }
        HubProperties.Streams limits = properties.streams();
        new DownloadSender(response, channel, request.getOffset(), size, metrics, streams,
                StreamRecheck.forCurrentCall(limits.recheckBytes().toBytes(), limits.recheckInterval()),
                limits.downloadStallTimeout().toNanos()).start();
    }
}
