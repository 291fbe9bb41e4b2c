package io.fedmerge.edge;

import com.google.protobuf.ByteString;
import io.fedmerge.core.FedmergeException;
import io.fedmerge.proto.v1.ArtifactFile;
import io.fedmerge.proto.v1.ArtifactManifest;
import io.fedmerge.proto.v1.BeginUploadRequest;
import io.fedmerge.proto.v1.BeginUploadResponse;
import io.fedmerge.proto.v1.CommitUploadRequest;
import io.fedmerge.proto.v1.Contribution;
import io.fedmerge.proto.v1.ContributionServiceGrpc;
import io.fedmerge.proto.v1.DownloadFileRequest;
import io.fedmerge.proto.v1.EnrollRequest;
import io.fedmerge.proto.v1.EnrollResponse;
import io.fedmerge.proto.v1.EnrollmentServiceGrpc;
import io.fedmerge.proto.v1.FileChunk;
import io.fedmerge.proto.v1.EvaluationReport;
import io.fedmerge.proto.v1.GetArtifactRequest;
import io.fedmerge.proto.v1.GetRoundRequest;
import io.fedmerge.proto.v1.ModelServiceGrpc;
import io.fedmerge.proto.v1.RenewCertificateRequest;
import io.fedmerge.proto.v1.RenewCertificateResponse;
import io.fedmerge.proto.v1.Round;
import io.fedmerge.proto.v1.RoundEvent;
import io.fedmerge.proto.v1.RoundServiceGrpc;
import io.fedmerge.proto.v1.TaskVectorManifest;
import io.fedmerge.proto.v1.UploadChunk;
import io.fedmerge.proto.v1.UploadChunksResponse;
import io.fedmerge.proto.v1.WatchRoundsRequest;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Iterator;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import java.util.zip.CRC32C;

/**
 * The edge side of fedmerge.v1: every call carries the node credential and a deadline (except the long-lived watch
 * and bulk streams); a call the hub could not answer is retried as the {@link RetryPolicy} says (uploads and
 * downloads resume from the committed offset), and a refusal fails at once with the hub's message.
 */
public final class HubClient implements AutoCloseable {
    static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final long UNARY_DEADLINE_S = 60;

    private final ManagedChannel channel;
    private final Channel authenticated;
    private final RetryPolicy retry;
    private final RandomGenerator random = new SplittableRandom();

    /** A client on a channel built elsewhere (grpc-java's in-process transport in tests, a custom transport). */
    public HubClient(ManagedChannel channel, String credential, RetryPolicy retry) {
        this.channel = channel;
        Metadata headers = new Metadata();
        if (credential != null) {
            headers.put(AUTHORIZATION, "Bearer " + credential);
        }
        this.authenticated = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
        this.retry = retry;
    }

    /**
     * @param trustedCa PEM certificates to trust for a TLS hub, or null for plaintext (loopback, or inside a
     *     network that already encrypts)
     * @param identity this node's client certificate and key for a hub with mutual TLS, or null
     */
    public HubClient(String target, String credential, Path trustedCa, ClientIdentity identity, RetryPolicy retry) {
        this(channel(target, trustedCa, identity), credential, retry);
    }

    private static ManagedChannel channel(String target, Path trustedCa, ClientIdentity identity) {
        // 8 MiB flow-control window: with 1 MiB chunks the 1 MiB default leaves one chunk in flight per round trip.
        NettyChannelBuilder builder = NettyChannelBuilder.forTarget(target).maxInboundMessageSize(8 << 20)
                .flowControlWindow(8 << 20);
        if (trustedCa == null) {
            if (identity != null) {
                throw new FedmergeException("a client certificate needs a TLS hub: give the hub's CA (--ca)");
            }
            builder.usePlaintext();
        } else {
            builder.sslContext(tls(trustedCa, identity));
        }
        return builder.build();
    }

    /** A plaintext client with a fixed number of attempts (tests, benchmarks). */
    public HubClient(String target, String credential, int maxAttempts, long backoffMillis) {
        this(target, credential, null, null, RetryPolicy.attempts(maxAttempts, backoffMillis));
    }

    private static io.grpc.netty.shaded.io.netty.handler.ssl.SslContext tls(Path trustedCa, ClientIdentity identity) {
        var ssl = GrpcSslContexts.forClient();
        try {
            ssl.trustManager(trustedCa.toFile());
        } catch (IllegalArgumentException e) {
            throw new FedmergeException("cannot use " + trustedCa + " as the hub's CA certificate: " + e.getMessage());
        }
        if (identity != null) {
            try {
                ssl.keyManager(identity.certificateChain().toFile(), identity.privateKey().toFile());
            } catch (IllegalArgumentException e) {
                throw new FedmergeException("cannot use the client certificate " + identity.certificateChain()
                        + " with key " + identity.privateKey() + ": " + e.getMessage());
            }
        }
        try {
            return ssl.build();
        } catch (javax.net.ssl.SSLException e) {
            throw new FedmergeException("cannot set up TLS to the hub: " + e.getMessage());
        }
    }

    public HubClient(String target, String credential, Path trustedCa) {
        this(target, credential, trustedCa, null, RetryPolicy.DEFAULT);
    }

    public HubClient(String target, String credential) {
        this(target, credential, null, null, RetryPolicy.DEFAULT);
    }

    public static HubCallException failure(String what, StatusRuntimeException e) {
        return new HubCallException(what + ": " + e.getStatus().getCode() + ": "
                + (e.getStatus().getDescription() == null ? "no detail" : e.getStatus().getDescription()),
                e.getStatus().getCode());
    }

    /** Counts the attempts of one operation and decides, per failure, whether to wait and try again. */
    private final class Attempts {
        private final long deadline = System.nanoTime() + retry.budget().toNanos();
        private final Backoff backoff = new Backoff(retry.initialBackoff(), retry.maxBackoff(), random);
        private final String what;
        private int made;

        Attempts(String what) {
            this.what = what;
        }

        /** Returns (after the backoff) if the call should be made again; throws the failure otherwise. */
        void failed(StatusRuntimeException e) {
            made++;
            Duration wait = backoff.next();
            boolean timeLeft = System.nanoTime() + wait.toNanos() < deadline;
            if (!retryable(e.getStatus().getCode()) || made >= retry.maxAttempts() || !timeLeft) {
                throw failure(what + (made > 1 ? " (after " + made + " attempts)" : ""), e);
            }
            if (!Backoff.sleep(wait)) {
                throw new FedmergeException(what + " interrupted");
            }
        }

        int made() {
            return made + 1;
        }
    }

    /** A unary call, retried as the policy says. */
    private <T> T retried(String what, Supplier<T> call) {
        Attempts attempts = new Attempts(what);
        while (true) {
            try {
                return call.get();
            } catch (StatusRuntimeException e) {
                attempts.failed(e);
            }
        }
    }

    public EnrollResponse enroll(String token, String nodeName) {
        return enroll(token, nodeName, "");
    }

    /** Enrolls; {@code csrPem} asks a hub with mutual TLS for a client certificate ("" for none). */
    public EnrollResponse enroll(String token, String nodeName, String csrPem) {
        try {
            return EnrollmentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(UNARY_DEADLINE_S, TimeUnit.SECONDS)
                    .enroll(EnrollRequest.newBuilder().setToken(token).setNodeName(nodeName).setCsrPem(csrPem)
                            .build());
        } catch (StatusRuntimeException e) {
            throw failure("enrollment refused", e);
        }
    }

    /** Asks the hub for a new client certificate for the key in {@code csrPem}. */
    public RenewCertificateResponse renewCertificate(String csrPem) {
        try {
            return EnrollmentServiceGrpc.newBlockingStub(authenticated)
                    .withDeadlineAfter(UNARY_DEADLINE_S, TimeUnit.SECONDS)
                    .renewCertificate(RenewCertificateRequest.newBuilder().setCsrPem(csrPem).build());
        } catch (StatusRuntimeException e) {
            throw failure("certificate renewal refused", e);
        }
    }

    public Round round(String roundId) {
        return retried("round " + roundId, () -> RoundServiceGrpc.newBlockingStub(authenticated)
                .withDeadlineAfter(UNARY_DEADLINE_S, TimeUnit.SECONDS)
                .getRound(GetRoundRequest.newBuilder().setRoundId(roundId).build()));
    }

    /** Watch events after a sequence; the iterator blocks for the next one. */
    public Iterator<RoundEvent> watch(long afterSequence) {
        return RoundServiceGrpc.newBlockingStub(authenticated)
                .watchRounds(WatchRoundsRequest.newBuilder().setAfterSequence(afterSequence).build());
    }

    /** Result of an upload: the contribution and how many bytes actually crossed the network. */
    public record Uploaded(Contribution contribution, long bytesSent, int attempts) {}

    /** Uploads a task-vector file to a round, resuming after transport failures; idempotent. */
    public Uploaded upload(String roundId, Path file, TaskVectorManifest manifest, LongConsumer progress) {
        long sent = 0;
        Attempts attempts = new Attempts("upload to round " + roundId);
        while (true) {
            try {
                BeginUploadResponse begun = ContributionServiceGrpc.newBlockingStub(authenticated)
                        .withDeadlineAfter(UNARY_DEADLINE_S, TimeUnit.SECONDS)
                        .beginUpload(BeginUploadRequest.newBuilder().setRoundId(roundId).setManifest(manifest).build());
                if (!begun.getAlreadyCommitted() && begun.getCommittedOffset() < manifest.getTotalBytes()) {
                    sent += sendFrom(begun, file, manifest.getTotalBytes(), progress);
                }
                progress.accept(manifest.getTotalBytes());
                Contribution c = ContributionServiceGrpc.newBlockingStub(authenticated)
                        .withDeadlineAfter(10 * UNARY_DEADLINE_S, TimeUnit.SECONDS)
                        .commitUpload(CommitUploadRequest.newBuilder().setUploadId(begun.getUploadId())
                                .setSha256(manifest.getSha256()).build());
                return new Uploaded(c, sent, attempts.made());
            } catch (StatusRuntimeException e) {
                attempts.failed(e);
            } catch (TransferBroken e) {
                sent += e.sent;
                attempts.failed(e.cause);
            }
        }
    }

    /** The statuses of a hub that was away or busy; anything else is a refusal and is not retried. */
    public static boolean retryable(Status.Code code) {
        return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED
                || code == Status.Code.CANCELLED || code == Status.Code.UNKNOWN || code == Status.Code.ABORTED
                || code == Status.Code.INTERNAL;
    }

    private static final class TransferBroken extends RuntimeException {
        final long sent;
        final StatusRuntimeException cause;

        TransferBroken(long sent, StatusRuntimeException cause) {
            super(cause);
            this.sent = sent;
            this.cause = cause;
        }
    }

    /**
     * Streams the file from the committed offset, sending only while the transport is ready (onReady), so at most
     * a few chunks are ever buffered whatever the link speed. Returns the bytes sent.
     */
    private long sendFrom(BeginUploadResponse begun, Path file, long total, LongConsumer progress) {
        int chunk = Math.min(1 << 20, Math.max(64 << 10, begun.getMaxChunkBytes() == 0 ? 1 << 20
                : begun.getMaxChunkBytes()));
        CompletableFuture<Long> done = new CompletableFuture<>();
        long start = begun.getCommittedOffset();
        long[] position = {start};
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            // isReady() turns false above 32 KiB buffered by default, i.e. after every 1 MiB chunk: let a few
            // chunks queue so the link never idles waiting for the previous one to drain.
            ContributionServiceGrpc.newStub(authenticated).withOnReadyThreshold(4 << 20).uploadChunks(
                    new ClientResponseObserver<UploadChunk, UploadChunksResponse>() {
                        private ClientCallStreamObserver<UploadChunk> out;
                        private boolean finished;

                        @Override
                        public void beforeStart(ClientCallStreamObserver<UploadChunk> requests) {
                            out = requests;
                            requests.setOnReadyHandler(this::pump);
                        }

                        private synchronized void pump() {
                            try {
                                while (!finished && out.isReady()) {
                                    if (position[0] >= total) {
                                        finished = true;
                                        out.onCompleted();
                                        return;
                                    }
                                    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(chunk, total - position[0]));
                                    while (buf.hasRemaining()) {
                                        if (in.read(buf, position[0] + buf.position()) < 0) {
                                            throw new IOException(file + " is shorter than its manifest says");
                                        }
                                    }
                                    buf.flip();
                                    CRC32C crc = new CRC32C();
                                    crc.update(buf.duplicate());
                                    out.onNext(UploadChunk.newBuilder().setUploadId(begun.getUploadId())
                                            .setOffset(position[0]).setData(ByteString.copyFrom(buf))
                                            .setCrc32C((int) crc.getValue()).build());
                                    position[0] += buf.limit();
                                    progress.accept(position[0]);
                                }
                            } catch (IOException e) {
                                finished = true;
                                out.onError(Status.CANCELLED.withDescription(e.getMessage()).asException());
                                done.completeExceptionally(new UncheckedIOException(e));
                            }
                        }

                        @Override
                        public void onNext(UploadChunksResponse value) {
                            done.complete(value.getCommittedOffset());
                        }

                        @Override
                        public void onError(Throwable t) {
                            done.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                            done.complete(position[0]);
                        }
                    });
            done.get();
            return position[0] - start;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException sre) {
                throw new TransferBroken(position[0] - start, sre);
            }
            if (e.getCause() instanceof io.grpc.StatusException se) {
                throw new TransferBroken(position[0] - start, se.getStatus().asRuntimeException());
            }
            throw new FedmergeException("upload failed: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FedmergeException("upload interrupted");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public ArtifactManifest artifact(String roundId) {
        return artifact(roundId, 0);
    }

    /** What the round published ({@code candidate} 0), or while it is EVALUATING one of its candidates (1-based). */
    public ArtifactManifest artifact(String roundId, int candidate) {
        return retried("artifact of round " + roundId, () -> ModelServiceGrpc.newBlockingStub(authenticated)
                .withDeadlineAfter(UNARY_DEADLINE_S, TimeUnit.SECONDS)
                .getArtifact(GetArtifactRequest.newBuilder().setRoundId(roundId).setCandidate(candidate).build()));
    }

    /** Sends this site's evaluation of a round's candidates (counts only); returns how many sites have reported. */
    public int reportEvaluation(EvaluationReport report) {
        return retried("evaluation report for round " + report.getRoundId(), () -> RoundServiceGrpc
                .newBlockingStub(authenticated).withDeadlineAfter(UNARY_DEADLINE_S, TimeUnit.SECONDS)
                .reportEvaluation(report)).getSites();
    }

    /** Downloads one file into {@code target}, resuming from its current length; returns bytes received. */
    public long download(String roundId, ArtifactFile file, Path target, LongConsumer progress) {
        return download(roundId, 0, file, target, progress);
    }

    /** As {@link #download(String, ArtifactFile, Path, LongConsumer)}, of a candidate's file (0 = published). */
    public long download(String roundId, int candidate, ArtifactFile file, Path target, LongConsumer progress) {
        long received = 0;
        Attempts attempts = new Attempts("download of " + file.getName());
        while (true) {
            try {
                long offset = Files.exists(target) ? Files.size(target) : 0;
                if (offset > file.getSize()) {
                    Files.delete(target);
                    offset = 0;
                }
                if (offset == file.getSize()) {
                    return received;
                }
                Iterator<FileChunk> chunks = ModelServiceGrpc.newBlockingStub(authenticated).downloadFile(
                        DownloadFileRequest.newBuilder().setRoundId(roundId).setName(file.getName()).setOffset(offset)
                                .setCandidate(candidate).build());
                try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND)) {
                    while (chunks.hasNext()) {
                        FileChunk c = chunks.next();
                        if (c.getOffset() != offset) {
                            throw new FedmergeException("hub sent bytes at " + c.getOffset() + ", expected " + offset);
                        }
                        c.getData().writeTo(out);
                        offset += c.getData().size();
                        received += c.getData().size();
                        progress.accept(offset);
                    }
                }
                if (offset != file.getSize()) {
                    throw Status.UNAVAILABLE.withDescription("stream ended at " + offset + " of " + file.getSize())
                            .asRuntimeException();
                }
                return received;
            } catch (StatusRuntimeException e) {
                attempts.failed(e);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + target, e);
            }
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
