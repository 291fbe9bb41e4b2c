package io.fedmerge.hub.transfer;

import io.fedmerge.hub.metrics.HubMetrics;
import io.fedmerge.hub.node.Node;
import io.fedmerge.hub.security.GrpcErrors;
import io.fedmerge.hub.security.NodeContext;
import io.fedmerge.proto.v1.BeginUploadRequest;
import io.fedmerge.proto.v1.BeginUploadResponse;
import io.fedmerge.proto.v1.CommitUploadRequest;
import io.fedmerge.proto.v1.Contribution;
import io.fedmerge.proto.v1.ContributionServiceGrpc;
import io.fedmerge.proto.v1.ContributionState;
import io.fedmerge.proto.v1.UploadChunk;
import io.fedmerge.proto.v1.UploadChunksResponse;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * The contribution RPCs. Chunks are written to the blob store inside onNext, before the next message is requested
 * (grpc-java asks for one more message only when onNext returns), so a fast client is slowed to disk speed instead
 * of piling chunks up in memory.
 */
@Service
class ContributionGrpcService extends ContributionServiceGrpc.ContributionServiceImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(ContributionGrpcService.class);
    private final UploadService uploads;
    private final HubMetrics metrics;

    ContributionGrpcService(UploadService uploads, HubMetrics metrics) {
        this.uploads = uploads;
        this.metrics = metrics;
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
        Node node = NodeContext.current();
        metrics.transferStarted();
        return new StreamObserver<>() {
            private Upload session;
            private io.fedmerge.hub.storage.BlobStore.Appender out;
            private long committed = -1;
            private boolean failed;

            private void closeBlob() {
                if (out != null) {
                    try {
                        out.close();
                    } catch (java.io.IOException e) {
                        LOG.warn("node={} upload={} close failed: {}", node.id(), session.id(), e.getMessage());
                    }
                    out = null;
                }
            }

            @Override
            public void onNext(UploadChunk chunk) {
                if (failed) {
                    return;
                }
                try {
                    if (session == null) {
                        session = uploads.session(node, chunk.getUploadId());
                        out = uploads.open(session);
                    } else if (!session.id().equals(chunk.getUploadId())) {
                        throw io.fedmerge.hub.HubException.invalid("mixed_uploads",
                                "one chunk stream carries one upload; open a new stream for " + chunk.getUploadId());
                    }
                    committed = uploads.append(session, out, chunk.getOffset(),
                            chunk.getData().asReadOnlyByteBuffer(), chunk.getCrc32C());
                } catch (RuntimeException e) {
                    failed = true;
                    closeBlob();
                    metrics.transferEnded();
                    response.onError(GrpcErrors.of(e));
                }
            }

            @Override
            public void onError(Throwable t) {
                // The node went away mid-stream: what was written stays, and BeginUpload reports the offset.
                if (!failed) {
                    metrics.transferEnded();
                }
                closeBlob();
                LOG.info("node={} upload stream ended early at offset {}: {}", node.id(), committed, t.getMessage());
            }

            @Override
            public void onCompleted() {
                if (failed) {
                    return;
                }
                metrics.transferEnded();
                closeBlob();
                try {
                    // What the store holds, not what arrived: a tail the store failed to take is sent again.
                    long offset = session == null ? 0 : uploads.committedOffset(session);
                    response.onNext(UploadChunksResponse.newBuilder().setCommittedOffset(offset).build());
                    response.onCompleted();
                } catch (RuntimeException e) {
                    response.onError(GrpcErrors.of(e));
                }
            }
        };
    }

    @Override
    public void commitUpload(CommitUploadRequest request, StreamObserver<Contribution> response) {
        try {
            Node node = NodeContext.current();
            Upload u = uploads.commit(node, request.getUploadId(), request.getSha256());
            response.onNext(Contribution.newBuilder().setRoundId(u.roundId()).setNodeId(u.nodeId())
                    .setSha256(u.sha256()).setBytes(u.totalBytes()).setState(ContributionState.CONTRIBUTION_COMMITTED)
                    .build());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.of(e));
        }
    }
}
