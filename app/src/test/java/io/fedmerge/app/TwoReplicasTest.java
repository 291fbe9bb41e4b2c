package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.edge.ModelInstaller;
import io.fedmerge.hub.round.MergeJobs;
import io.fedmerge.hub.round.RoundStore;
import io.fedmerge.hub.storage.LocalS3;
import io.fedmerge.proto.v1.BeginUploadRequest;
import io.fedmerge.proto.v1.BeginUploadResponse;
import io.fedmerge.proto.v1.ContributionServiceGrpc;
import io.fedmerge.proto.v1.TaskVectorManifest;
import io.fedmerge.proto.v1.UploadChunk;
import io.fedmerge.proto.v1.UploadChunksResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hub replicas sharing only one PostgreSQL and one S3 bucket (each has its own local disk): either serves
 * uploads and downloads, an upload cut on one resumes on the other, and a merge runs exactly once even when both
 * see the round waiting.
 */
class TwoReplicasTest {
    @TempDir
    Path dir;

    @Test
    void eitherReplicaServesAndOnlyOneMerges() throws Exception {
        String url = System.getenv("FEDMERGE_TEST_PG_URL");
        Assumptions.assumeTrue(url != null, "no PostgreSQL server for this run (FEDMERGE_TEST_PG_URL unset)");
        String schema = "r" + Long.toHexString(System.nanoTime());
        try (Connection c = DriverManager.getConnection(url)) {
            c.createStatement().execute("create schema " + schema);
        }
        FederationFixture fx = new FederationFixture(dir);
        String[] db = {"--spring.main.banner-mode=off", "--spring.datasource.url=" + url + "&currentSchema=" + schema,
            "--spring.flyway.schemas=" + schema, "--fedmerge.hub.lease-check-ms=300", fx.modelsRoot()};
        try (LocalS3 s3 = LocalS3.start(Files.createDirectories(dir.resolve("s3")))) {
            String[] args = FederationFixture.concat(db, s3.hubArgs("replicas"));
            try (EmbeddedHub a = EmbeddedHub.start(dir.resolve("replica-a"), "t", args);
                    EmbeddedHub b = EmbeddedHub.start(dir.resolve("replica-b"), "t", args)) {
                run(fx, a, b, url, schema);
            }
        }
    }

    private void run(FederationFixture fx, EmbeddedHub a, EmbeddedHub b, String url, String schema)
            throws Exception {
        fx.registerBase(a);
        EdgeConfig node = FederationFixture.enroll(b, "replicated");
        String round = FederationFixture.openRound(a, "task_arithmetic", Map.of("weight", 1), 1);
        // The first half goes to replica A, whose stream then breaks; the node resumes on replica B, which finds
        // the stored half in the bucket and asks only for the rest.
        Path tv = fx.taskVector(1);
        byte[] bytes = Files.readAllBytes(tv);
        int half = bytes.length / 2;
        sendThenCut(a, node, round, Manifests.of(tv), ByteString.copyFrom(bytes, 0, half));
        try (HubClient viaB = new HubClient(b.grpcTarget(), node.credential(), 3, 50)) {
            assertThat(viaB.upload(round, tv, Manifests.of(tv), n -> { }).bytesSent())
                    .isEqualTo(bytes.length - half);
        }
        a.admin().post("/api/v1/rounds/" + round + "/trigger", null);
        b.admin().awaitRound(round, "PUBLISHED", Duration.ofSeconds(60));
        try (HubClient viaA = new HubClient(a.grpcTarget(), node.credential(), 3, 50)) {
            assertThat(new ModelInstaller().install(viaA, round, dir.resolve("installed"), n -> { }).digest())
                    .isEqualTo(b.admin().get("/api/v1/rounds/" + round + "/artifact").path("checkpointDigest")
                            .asString());
        }
        // A second round left MERGING with no owner: both replicas notice it, exactly one merges it.
        String orphan = FederationFixture.openRound(b, "task_arithmetic", Map.of("weight", 1), 1);
        try (HubClient viaA = new HubClient(a.grpcTarget(), node.credential(), 3, 50)) {
            viaA.upload(orphan, tv, Manifests.of(tv), n -> { });
        }
        // The real OPEN -> MERGING transition, with no merge job behind it: a round whose owner died.
        assertThat(b.context().getBean(RoundStore.class).startMerge(orphan)).isTrue();
        // Both replicas scan at once (their schedules run too): exactly one claim wins.
        MergeJobs jobsA = a.context().getBean(MergeJobs.class);
        MergeJobs jobsB = b.context().getBean(MergeJobs.class);
        var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
        CompletableFuture.allOf(CompletableFuture.runAsync(jobsA::adoptOrphans, threads),
                CompletableFuture.runAsync(jobsB::adoptOrphans, threads)).join();
        a.admin().awaitRound(orphan, "PUBLISHED", Duration.ofSeconds(60));
        // Scans after the publish find nothing to adopt.
        jobsA.adoptOrphans();
        jobsB.adoptOrphans();
        try (Connection c = DriverManager.getConnection(url)) {
            for (String r : new String[] {round, orphan}) {
                // Only a replica that won the claim merges; a failed claim leaves no trace but a log line.
                var rs = c.createStatement().executeQuery("select count(*) from " + schema
                        + ".audit_log where action = 'merge.claim' and subject = '" + r + "'");
                rs.next();
                assertThat(rs.getInt(1)).as("merges of %s", r).isEqualTo(1);
            }
        }
    }

    /** Opens the upload on {@code hub}, sends {@code data} from offset 0, and drops the connection. */
    private static void sendThenCut(EmbeddedHub hub, EdgeConfig node, String round, TaskVectorManifest m,
            ByteString data) throws Exception {
        var channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forTarget(hub.grpcTarget())
                .usePlaintext().build();
        try {
            var authed = FederationTest.as(channel, node.credential());
            BeginUploadResponse begun = ContributionServiceGrpc.newBlockingStub(authed)
                    .beginUpload(BeginUploadRequest.newBuilder().setRoundId(round).setManifest(m).build());
            var stub = ContributionServiceGrpc.newStub(authed);
            var up = (ClientCallStreamObserver<UploadChunk>) stub.uploadChunks(new StreamObserver<
                    UploadChunksResponse>() {
                @Override
                public void onNext(UploadChunksResponse value) {}

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {}
            });
            MeterRegistry meters = hub.context().getBean(MeterRegistry.class);
            double before = meters.counter("fedmerge.bytes.received").count();
            for (int at = 0; at < data.size(); at += 1 << 20) {
                up.onNext(FederationFixture.chunk(begun.getUploadId(), at, data.substring(at,
                        Math.min(data.size(), at + (1 << 20)))));
            }
            // Cut once the hub took every chunk; it stores the buffered tail when it sees the stream end.
            await().atMost(Duration.ofSeconds(30)).until(() -> meters.counter("fedmerge.bytes.received").count()
                    - before >= data.size());
            up.cancel("connection lost", null);
            await().atMost(Duration.ofSeconds(30)).until(() -> ContributionServiceGrpc.newBlockingStub(authed)
                    .beginUpload(BeginUploadRequest.newBuilder().setRoundId(round).setManifest(m).build())
                    .getCommittedOffset() == data.size());
        } finally {
            channel.shutdownNow();
        }
    }
}
