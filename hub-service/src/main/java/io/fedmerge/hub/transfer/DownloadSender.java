package io.fedmerge.hub.transfer;

import com.google.protobuf.ByteString;
import io.fedmerge.hub.metrics.HubMetrics;
import io.fedmerge.hub.security.GrpcErrors;
import io.fedmerge.hub.security.StreamRecheck;
import io.fedmerge.proto.v1.FileChunk;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.Optional;

/**
 * Sends one published file from an offset. It sends only while the transport is ready and resumes from onReady, so
 * a slow hospital link never makes the hub buffer a model in memory; every few MiB or seconds it re-checks the
 * node, so a revoked node stops receiving at once; a receiver that takes nothing for the stall limit is cut off.
 */
final class DownloadSender implements Runnable, OpenStreams.Tracked {
    private static final int CHUNK = 1 << 20;
    private final ServerCallStreamObserver<FileChunk> out;
    private final SeekableByteChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
    private final long size;
    private final HubMetrics metrics;
    private final OpenStreams streams;
    private final StreamRecheck recheck;
    private final long stallNanos;
    private volatile long lastProgress = System.nanoTime();
    private long offset;
    private boolean done;

    DownloadSender(ServerCallStreamObserver<FileChunk> out, SeekableByteChannel channel, long offset, long size,
            HubMetrics metrics, OpenStreams streams, StreamRecheck recheck, long stallNanos) {
        this.out = out;
        this.channel = channel;
        this.offset = offset;
        this.size = size;
        this.metrics = metrics;
        this.streams = streams;
        this.recheck = recheck;
        this.stallNanos = stallNanos;
    }

    void start() {
        metrics.transferStarted();
        streams.add(this);
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
                lastProgress = System.nanoTime();
                metrics.sent(n);
                if (recheck.due(n)) {
                    Optional<String> refused = recheck.refusal();
                    if (refused.isPresent()) {
                        finish();
                        out.onError(Status.UNAUTHENTICATED.withDescription(refused.get()).asException());
                        return;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            finish();
            out.onError(GrpcErrors.of(e));
        }
    }

    @Override
    public long lastProgressNanos() {
        return lastProgress;
    }

    @Override
    public long limitNanos() {
        return stallNanos;
    }

    @Override
    public synchronized void expire() {
        if (done) {
            return;
        }
        finish();
        out.onError(Status.DEADLINE_EXCEEDED.withDescription("the receiver took no bytes for "
                + stallNanos / 1_000_000_000L + " s; download again from offset " + offset).asException());
    }

    private synchronized void finish() {
        if (done) {
            return;
        }
        done = true;
        streams.remove(this);
        metrics.transferEnded();
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only channel
        }
    }
}
