package io.fedmerge.hub.transfer;

import io.fedmerge.hub.HubProperties;
import io.fedmerge.hub.metrics.HubMetrics;
import io.fedmerge.hub.node.Node;
import io.fedmerge.hub.security.GrpcErrors;
import io.fedmerge.hub.security.NodeContext;
import io.fedmerge.hub.security.StreamRecheck;
import io.fedmerge.proto.v1.BeginUploadRequest;
import io.fedmerge.proto.v1.BeginUploadResponse;
import io.fedmerge.proto.v1.CommitUploadRequest;
import io.fedmerge.proto.v1.Contribution;
import io.fedmerge.proto.v1.ContributionServiceGrpc;
import io.fedmerge.proto.v1.ContributionState;
import io.fedmerge.proto.v1.UploadChunk;
import io.fedmerge.proto.v1.UploadChunksResponse;
import io.grpc.stub.StreamObserver;
import org.springframework.stereotype.Service;

/** The contribution RPCs: begin (manifest checks), the chunk stream ({@link UploadStream}) and commit. */
@Service
class ContributionGrpcService extends ContributionServiceGrpc.ContributionServiceImplBase {
    private final UploadService uploads;
    private final ContributionCommits commits;
    private final HubMetrics metrics;
    private final OpenStreams streams;
    private final HubProperties properties;

    ContributionGrpcService(UploadService uploads, ContributionCommits commits, HubMetrics metrics, OpenStreams streams,
            HubProperties properties) {
        this.uploads = uploads;
        this.commits = commits;
        this.metrics = metrics;
        this.streams = streams;
        this.properties = properties;
    }

    @Override
    public void beginUpload(BeginUploadRequest request, StreamObserver<BeginUploadResponse> response) {
        try {
            Node node = NodeContext.current();
            UploadService.Begun b = uploads.begin(node, request.getRoundId(), request.getManifest());
            response.onNext(BeginUploadResponse.newBuilder().setUploadId(b.uploadId())
                    .setCommittedOffset(b.committedOffset()).setAlreadyCommitted(b.alreadyCommitted())
                    .setMaxChunkBytes(uploads.maxChunkBytes()).build());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.of(e));
        }
    }

    @Override
    public StreamObserver<UploadChunk> uploadChunks(StreamObserver<UploadChunksResponse> response) {
        HubProperties.Streams limits = properties.streams();
        return new UploadStream(NodeContext.current(), uploads, metrics, streams, response,
                StreamRecheck.forCurrentCall(limits.recheckBytes().toBytes(), limits.recheckInterval()),
                limits.uploadIdleTimeout().toNanos());
    }

    @Override
    public void commitUpload(CommitUploadRequest request, StreamObserver<Contribution> response) {
        try {
            Node node = NodeContext.current();
            Upload u = commits.commit(node, request.getUploadId(), request.getSha256());
            response.onNext(Contribution.newBuilder().setRoundId(u.roundId()).setNodeId(u.nodeId())
                    .setSha256(u.sha256()).setBytes(u.totalBytes()).setState(ContributionState.CONTRIBUTION_COMMITTED)
                    .build());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.of(e));
        }
    }
}
