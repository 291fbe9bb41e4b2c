package io.fedmerge.hub.transfer;

import io.fedmerge.hub.HubException;
import io.fedmerge.hub.metrics.HubMetrics;
import io.fedmerge.hub.node.Node;
import io.fedmerge.hub.security.GrpcErrors;
import io.fedmerge.hub.security.StreamRecheck;
import io.fedmerge.hub.storage.BlobStore;
import io.fedmerge.proto.v1.UploadChunk;
import io.fedmerge.proto.v1.UploadChunksResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.Optional;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One UploadChunks stream. Chunks are written inside onNext, before the next message is requested (grpc-java asks
 * for one more only when onNext returns), so a fast client is slowed to disk speed instead of piling chunks up in
 * memory. Every few MiB or seconds the stream re-checks its node and session: a revoked node's stream ends
 * UNAUTHENTICATED and its partial upload is discarded; a session replaced by a newer upload ends too, instead of
 * writing into a deleted blob. Methods are synchronized because the idle sweep may end the stream from another
 * thread.
 */
final class UploadStream implements StreamObserver<UploadChunk>, OpenStreams.Tracked {
    private static final Logger LOG = LoggerFactory.getLogger(UploadStream.class);
    private final Node node;
    private final UploadService uploads;
    private final HubMetrics metrics;
    private final OpenStreams streams;
    private final StreamObserver<UploadChunksResponse> response;
    private final StreamRecheck recheck;
    private final long idleNanos;
    private volatile long lastProgress = System.nanoTime();
    private Upload session;
    private BlobStore.Appender out;
    private long committed = -1;
    private boolean ended;

    UploadStream(Node node, UploadService uploads, HubMetrics metrics, OpenStreams streams,
            StreamObserver<UploadChunksResponse> response, StreamRecheck recheck, long idleNanos) {
        this.node = node;
        this.uploads = uploads;
        this.metrics = metrics;
        this.streams = streams;
        this.response = response;
        this.recheck = recheck;
        this.idleNanos = idleNanos;
        metrics.transferStarted();
        streams.add(this);
    }

    @Override
    public synchronized void onNext(UploadChunk chunk) {
        if (ended) {
            return;
        }
        lastProgress = System.nanoTime();
        try {
            if (session == null) {
                session = uploads.session(node, chunk.getUploadId());
                out = uploads.open(session);
            } else if (!session.id().equals(chunk.getUploadId())) {
                throw HubException.invalid("mixed_uploads", "one chunk stream carries one upload; open a new stream"
                        + " for " + chunk.getUploadId());
            }
            committed = uploads.append(session, out, chunk.getOffset(), chunk.getData().asReadOnlyByteBuffer(),
                    chunk.hasCrc32C() ? OptionalInt.of(chunk.getCrc32C()) : OptionalInt.empty());
            if (recheck.due(chunk.getData().size())) {
                recheck();
            }
        } catch (RuntimeException e) {
            end();
            response.onError(GrpcErrors.of(e));
        }
    }

    private void recheck() {
        Optional<String> refused = recheck.refusal();
        if (refused.isPresent()) {
            end();
            uploads.discardRevoked(session);
            response.onError(Status.UNAUTHENTICATED.withDescription(refused.get()).asException());
            return;
        }
        if (!uploads.touchIfOpen(session)) {
            throw HubException.precondition("not_uploading", "upload " + session.id() + " was replaced by a newer"
                    + " upload or has expired; call BeginUpload again");
        }
    }

    @Override
    public synchronized void onError(Throwable t) {
        // The node went away mid-stream: what was written stays, and BeginUpload reports the offset.
        if (ended) {
            return;
        }
        end();
        LOG.info("node={} upload stream ended early at offset {}: {}", node.id(), committed, t.getMessage());
    }

    @Override
    public synchronized void onCompleted() {
        if (ended) {
            return;
        }
        end();
        try {
            // What the store holds, not what arrived: a tail the store failed to take is sent again.
            long offset = session == null ? 0 : uploads.committedOffset(session);
            response.onNext(UploadChunksResponse.newBuilder().setCommittedOffset(offset).build());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.of(e));
        }
    }

    @Override
    public long lastProgressNanos() {
        return lastProgress;
    }

    @Override
    public long limitNanos() {
        return idleNanos;
    }

    @Override
    public synchronized void expire() {
        if (ended) {
            return;
        }
        end();
        long offset = committed < 0 ? 0 : committed;
        LOG.info("node={} upload stream idle for {} s; ended at offset {}", node.id(), idleNanos / 1_000_000_000L,
                offset);
        response.onError(Status.DEADLINE_EXCEEDED.withDescription("no chunk for " + idleNanos / 1_000_000_000L
                + " s; the " + offset + " bytes stored are kept: call BeginUpload to resume").asException());
    }

    /** Releases the blob and, when the session is no longer live, what the stream wrote after it was discarded. */
    private void end() {
        ended = true;
        streams.remove(this);
        metrics.transferEnded();
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                LOG.warn("node={} upload={} close failed: {}", node.id(), session.id(), e.getMessage());
            }
            out = null;
        }
        if (session != null) {
            uploads.afterStream(session);
        }
    }
}
