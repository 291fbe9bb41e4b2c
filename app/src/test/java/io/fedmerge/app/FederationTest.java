package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.fedmerge.core.FedmergeException;
import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.edge.ModelInstaller;
import io.fedmerge.proto.v1.ArtifactManifest;
import io.fedmerge.proto.v1.BeginUploadRequest;
import io.fedmerge.proto.v1.BeginUploadResponse;
import io.fedmerge.proto.v1.CommitUploadRequest;
import io.fedmerge.proto.v1.ContributionServiceGrpc;
import io.fedmerge.proto.v1.DownloadFileRequest;
import io.fedmerge.proto.v1.GetArtifactRequest;
import io.fedmerge.proto.v1.GetRoundRequest;
import io.fedmerge.proto.v1.ModelServiceGrpc;
import io.fedmerge.proto.v1.RoundServiceGrpc;
import io.fedmerge.proto.v1.TaskVectorManifest;
import io.fedmerge.proto.v1.TensorSpec;
import io.fedmerge.proto.v1.UploadChunk;
import io.fedmerge.proto.v1.UploadChunksResponse;
import io.fedmerge.proto.v1.WatchRoundsRequest;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The federation over a real gRPC server on loopback, a real H2 file database and real files. */
class FederationTest {
    @TempDir
    static Path dir;

    static FederationFixture fx;
    static EmbeddedHub hub;
    static EdgeConfig alice;
    static EdgeConfig bob;

    @BeforeAll
    static void start() {
        fx = new FederationFixture(dir);
        hub = EmbeddedHub.start(dir.resolve("hub"), "test-admin-token", "--spring.main.banner-mode=off",
                "--fedmerge.hub.max-upload-bytes=10MB", "--fedmerge.hub.keepalive-seconds=1", fx.modelsRoot(),
                "--fedmerge.hub.metrics.last-seen-refresh-ms=200");
        fx.registerBase(hub);
        alice = FederationFixture.enroll(hub, "alice");
        bob = FederationFixture.enroll(hub, "bob");
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    static ManagedChannel channel() {
        return NettyChannelBuilder.forTarget(hub.grpcTarget()).usePlaintext().build();
    }

    static Channel as(ManagedChannel ch, String credential) {
        Metadata h = new Metadata();
        h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + credential);
        return ClientInterceptors.intercept(ch, MetadataUtils.newAttachHeadersInterceptor(h));
    }

    static void assertStatus(Runnable call, Status.Code code, String... fragments) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).contains(fragments);
        });
    }

    @Test
    void aFullRoundPublishesTheOfflineMergeToEveryContributor() throws Exception {
        publishTiesRound();
    }

    /** A ties round with alice's and bob's contributions, published and installed by alice. */
    static void publishTiesRound() throws Exception {
        String round = FederationFixture.openRound(hub, "ties", Map.of("weight", 0.5, "density", 0.6), 2);
        for (EdgeConfig e : new EdgeConfig[] {alice, bob}) {
            try (HubClient c = FederationFixture.client(e)) {
                Path tv = fx.taskVector(e == alice ? 1 : 2);
                HubClient.Uploaded u = c.upload(round, tv, Manifests.of(tv), n -> { });
                assertThat(u.bytesSent()).isEqualTo(Files.size(tv));
                // Re-sending a committed contribution is idempotent and moves no bytes.
                assertThat(c.upload(round, tv, Manifests.of(tv), n -> { }).bytesSent()).isZero();
            }
        }
        hub.admin().post("/api/v1/rounds/" + round + "/trigger", null);
        awaitState(round, "PUBLISHED");
        try (HubClient c = FederationFixture.client(alice)) {
            ModelInstaller.Installed inst = new ModelInstaller().install(c, round, dir.resolve("alice-model-" + round),
                    n -> { });
            assertThat(inst.dir().resolve("model.safetensors")).exists();
            assertThat(inst.digest()).isEqualTo(hub.admin().get("/api/v1/rounds/" + round + "/artifact")
                    .path("checkpointDigest").asString());
        }
    }

    static void awaitState(String round, String state) {
        hub.admin().awaitRound(round, state, java.time.Duration.ofSeconds(30));
    }

    @Test
    void everyRpcRefusesMissingUnknownAndRevokedCredentials() {
        EdgeConfig carol = FederationFixture.enroll(hub, "carol");
        HttpResponse<String> revoke = delete("/api/v1/nodes/" + carol.nodeId(), "test-admin-token");
        assertThat(revoke.statusCode()).isEqualTo(204);
        ManagedChannel ch = channel();
        try {
            for (String credential : new String[] {null, "fmn_not-a-credential", carol.credential()}) {
                Channel c = credential == null ? ch : as(ch, credential);
                String expected = credential == null ? "missing node credential" : "not recognised or revoked";
                assertStatus(() -> RoundServiceGrpc.newBlockingStub(c).getRound(GetRoundRequest.newBuilder()
                        .setRoundId("x").build()), Status.Code.UNAUTHENTICATED, expected);
                assertStatus(() -> ContributionServiceGrpc.newBlockingStub(c).beginUpload(
                        BeginUploadRequest.getDefaultInstance()), Status.Code.UNAUTHENTICATED, expected);
                assertStatus(() -> ContributionServiceGrpc.newBlockingStub(c).commitUpload(
                        CommitUploadRequest.getDefaultInstance()), Status.Code.UNAUTHENTICATED, expected);
                assertStatus(() -> ModelServiceGrpc.newBlockingStub(c).getArtifact(
                        GetArtifactRequest.getDefaultInstance()), Status.Code.UNAUTHENTICATED, expected);
                assertStatus(() -> ModelServiceGrpc.newBlockingStub(c).downloadFile(
                        DownloadFileRequest.getDefaultInstance()).hasNext(), Status.Code.UNAUTHENTICATED, expected);
                assertStatus(() -> RoundServiceGrpc.newBlockingStub(c).watchRounds(
                        WatchRoundsRequest.getDefaultInstance()).hasNext(), Status.Code.UNAUTHENTICATED, expected);
                CompletableFuture<Throwable> streamed = new CompletableFuture<>();
                StreamObserver<UploadChunk> up = ContributionServiceGrpc.newStub(c).uploadChunks(observer(streamed));
                up.onNext(UploadChunk.newBuilder().setUploadId("x").build());
                up.onCompleted();
                assertThat(Status.fromThrowable(streamed.join()).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
            }
        } finally {
            ch.shutdownNow();
        }
    }

    static StreamObserver<UploadChunksResponse> observer(CompletableFuture<Throwable> done) {
        return new StreamObserver<>() {
            public void onNext(UploadChunksResponse v) {}

            public void onError(Throwable t) {
                done.complete(t);
            }

            public void onCompleted() {
                done.complete(null);
            }
        };
    }

    static HttpResponse<String> delete(String path, String token) {
        return http("DELETE", path, token);
    }

    static HttpResponse<String> http(String method, String path, String token) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                    .method(method, HttpRequest.BodyPublishers.noBody());
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static String baseUrl() {
        return "http://127.0.0.1:" + hub.context().getEnvironment().getProperty("local.server.port");
    }

    @Test
    void everyAdminEndpointRefusesMissingOrWrongTokens() {
        String[][] endpoints = {{"GET", "/api/v1/nodes"}, {"POST", "/api/v1/enrollment-tokens"},
                {"GET", "/api/v1/enrollment-tokens"}, {"DELETE", "/api/v1/enrollment-tokens/x"},
                {"DELETE", "/api/v1/nodes/x"}, {"GET", "/api/v1/base-models"}, {"POST", "/api/v1/base-models"},
                {"GET", "/api/v1/rounds"}, {"POST", "/api/v1/rounds"}, {"GET", "/api/v1/rounds/x"},
                {"POST", "/api/v1/rounds/x/trigger"}, {"POST", "/api/v1/rounds/x/cancel"},
                {"GET", "/api/v1/rounds/x/artifact"}};
        for (String[] e : endpoints) {
            for (String token : new String[] {null, "wrong"}) {
                HttpResponse<String> r = http(e[0], e[1], token);
                assertThat(r.statusCode()).as("%s %s", e[0], e[1]).isEqualTo(401);
                assertThat(r.body()).contains("\"status\":401");
            }
        }
    }

    @Test
    void enrollmentTokensWorkOnceAndNotAfterExpiryOrRevocation() throws Exception {
        String token = hub.admin().post("/api/v1/enrollment-tokens", Map.of("ttlMinutes", 5)).path("token")
                .asString();
        try (HubClient c = new HubClient(hub.grpcTarget(), null)) {
            c.enroll(token, "dave");
            assertThatThrownBy(() -> c.enroll(token, "dave-2")).hasMessageContaining("already used");
            String revoked = hub.admin().post("/api/v1/enrollment-tokens", Map.of("ttlMinutes", 5)).path("id")
                    .asString();
            assertThat(delete("/api/v1/enrollment-tokens/" + revoked, "test-admin-token").statusCode()).isEqualTo(204);
            assertThatThrownBy(() -> c.enroll("fmt_forged", "eve")).hasMessageContaining("not recognised");
        }
        // Expiry: a token whose expiry has passed (written straight to the database).
        var created = hub.admin().post("/api/v1/enrollment-tokens", Map.of("ttlMinutes", 1));
        hub.context().getBean(org.springframework.jdbc.core.simple.JdbcClient.class)
                .sql("update enrollment_token set expires_at = ? where id = ?")
                .params(java.sql.Timestamp.from(java.time.Instant.now().minusSeconds(5)), created.path("id").asString())
                .update();
        try (HubClient c = new HubClient(hub.grpcTarget(), null)) {
            assertThatThrownBy(() -> c.enroll(created.path("token").asString(), "frank"))
                    .hasMessageContaining("has expired");
        }
    }

    private static BeginUploadResponse begin(Channel c, String round, TaskVectorManifest m) {
        return ContributionServiceGrpc.newBlockingStub(c).beginUpload(BeginUploadRequest.newBuilder()
                .setRoundId(round).setManifest(m).build());
    }

    private static long uploadsInStore() {
        return hub.context().getBean(org.springframework.jdbc.core.simple.JdbcClient.class)
                .sql("select count(*) from upload").query(Long.class).single();
    }

    @Test
    void badManifestsAreRefusedBeforeAnyByteAndNothingIsStored() throws Exception {
        String round = FederationFixture.openRound(hub, "task_arithmetic", Map.of("weight", 1), 1);
        TaskVectorManifest good = Manifests.of(fx.taskVector(1));
        long before = uploadsInStore();
        ManagedChannel ch = channel();
        try {
            Channel c = as(ch, alice.credential());
            assertStatus(() -> begin(c, round, Manifests.of(fx.models.resolve("wrong-base.safetensors"))),
                    Status.Code.FAILED_PRECONDITION, "made against base digest", "rebuild it");
            TaskVectorManifest missing = good.toBuilder().removeTensors(0).build();
            assertStatus(() -> begin(c, round, missing), Status.Code.INVALID_ARGUMENT, "lacks tensor",
                    "model.embed_tokens.weight");
            TaskVectorManifest reshaped = good.toBuilder().setTensors(1, good.getTensors(1).toBuilder()
                    .clearShape().addShape(32).addShape(128)).build();
            assertStatus(() -> begin(c, round, reshaped), Status.Code.INVALID_ARGUMENT, "has shape [32, 128]",
                    "the base has [64, 64]");
            TaskVectorManifest huge = good.toBuilder().setTotalBytes(50_000_000).build();
            assertStatus(() -> begin(c, round, huge), Status.Code.RESOURCE_EXHAUSTED, "exceeds this hub's limit");
            assertStatus(() -> begin(c, "no-such-round", good), Status.Code.NOT_FOUND, "no round no-such-round");
            String cancelled = FederationFixture.openRound(hub, "task_arithmetic", Map.of("weight", 1), 1);
            hub.admin().post("/api/v1/rounds/" + cancelled + "/cancel", Map.of("reason", "test"));
            assertStatus(() -> begin(c, cancelled, good), Status.Code.FAILED_PRECONDITION, "is CANCELLED");
        } finally {
            ch.shutdownNow();
        }
        assertThat(uploadsInStore()).isEqualTo(before);
    }

    @Test
    void chunksAtTheWrongOffsetBadChecksumsAndNanValuesAreRefused() throws Exception {
        String round = FederationFixture.openRound(hub, "task_arithmetic", Map.of("weight", 1), 1);
        Path tv = fx.taskVector(2);
        byte[] bytes = Files.readAllBytes(tv);
        ManagedChannel ch = channel();
        try {
            Channel c = as(ch, bob.credential());
            BeginUploadResponse b = begin(c, round, Manifests.of(tv));
            Throwable wrongOffset = send(c, b.getUploadId(), 100, bytes, 100, 200);
            assertThat(Status.fromThrowable(wrongOffset).getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(Status.fromThrowable(wrongOffset).getDescription()).contains("hub expects offset 0");
            // Alice may not write into Bob's upload.
            Throwable foreign = send(as(ch, alice.credential()), b.getUploadId(), 0, bytes, 0, 10);
            assertThat(Status.fromThrowable(foreign).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            // A corrupted file with the declared SHA-256 of the original: checksum mismatch, upload discarded.
            byte[] corrupted = bytes.clone();
            corrupted[corrupted.length - 1] ^= 1;
            assertThat(send(c, b.getUploadId(), 0, corrupted, 0, corrupted.length)).isNull();
            assertStatus(() -> ContributionServiceGrpc.newBlockingStub(c).commitUpload(CommitUploadRequest.newBuilder()
                    .setUploadId(b.getUploadId()).setSha256(Manifests.of(tv).getSha256()).build()),
                    Status.Code.DATA_LOSS, "the upload was discarded");
            // NaN values: a file whose bytes are what it declares, but whose content is not finite.
            Path nan = dir.resolve("nan.safetensors");
            byte[] withNan = bytes.clone();
            int dataStart = 8 + (int) java.nio.ByteBuffer.wrap(bytes, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .getLong();
            java.nio.ByteBuffer.wrap(withNan, dataStart + 40, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .putFloat(Float.NaN);
            Files.write(nan, withNan);
            try (HubClient client = FederationFixture.client(bob)) {
                assertThatThrownBy(() -> client.upload(round, nan, Manifests.of(nan), n -> { }))
                        .isInstanceOf(FedmergeException.class).hasMessageContaining("INVALID_ARGUMENT")
                        .hasMessageContaining("is NaN");
            }
        } finally {
            ch.shutdownNow();
        }
        assertThat(hub.admin().get("/api/v1/rounds/" + round).path("contributions").asInt()).isZero();
    }

    static Throwable send(Channel c, String uploadId, long offset, byte[] bytes, int from, int to) {
        CompletableFuture<Throwable> done = new CompletableFuture<>();
        StreamObserver<UploadChunk> up = ContributionServiceGrpc.newStub(c).uploadChunks(observer(done));
        for (int pos = from; pos < to; pos += 64 << 10) {
            int end = Math.min(to, pos + (64 << 10));
            up.onNext(FederationFixture.chunk(uploadId, offset + pos - from, ByteString.copyFrom(bytes, pos,
                    end - pos)));
        }
        up.onCompleted();
        try {
            return done.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aStreamCutMidUploadResumesWithoutResendingCommittedBytes() throws Exception {
        String round = FederationFixture.openRound(hub, "task_arithmetic", Map.of("weight", 1), 1);
        Path tv = fx.taskVector(3);
        byte[] bytes = Files.readAllBytes(tv);
        TaskVectorManifest m = Manifests.of(tv);
        EdgeConfig erin = FederationFixture.enroll(hub, "erin");
        ManagedChannel ch = channel();
        int half = bytes.length / 2;
        try {
            Channel c = as(ch, erin.credential());
            BeginUploadResponse b = begin(c, round, m);
            // The node sends half the file, then its connection dies (the stream is cancelled).
            CompletableFuture<Throwable> done = new CompletableFuture<>();
            var up = (io.grpc.stub.ClientCallStreamObserver<UploadChunk>) ContributionServiceGrpc.newStub(c)
                    .uploadChunks(observer(done));
            up.onNext(FederationFixture.chunk(b.getUploadId(), 0, ByteString.copyFrom(bytes, 0, half)));
            // Cut only once the hub stored the half (the filesystem store writes each chunk as it arrives).
            await().atMost(Duration.ofSeconds(30)).until(() -> begin(c, round, m).getCommittedOffset() == half);
            up.cancel("connection lost", null);
        } finally {
            ch.shutdownNow();
        }
        try (HubClient c = FederationFixture.client(erin)) {
            HubClient.Uploaded u = c.upload(round, tv, m, n -> { });
            assertThat(u.bytesSent()).isEqualTo(bytes.length - half);
        }
        assertThat(hub.admin().get("/api/v1/rounds/" + round).path("contributions").asInt()).isEqualTo(1);
    }

    @Test
    void downloadsResumeFromAnOffset() throws Exception {
        String round = FederationFixture.openRound(hub, "task_arithmetic", Map.of("weight", 1), 1);
        EdgeConfig gina = FederationFixture.enroll(hub, "gina");
        try (HubClient c = FederationFixture.client(gina)) {
            c.upload(round, fx.taskVector(1), Manifests.of(fx.taskVector(1)), n -> { });
            hub.admin().post("/api/v1/rounds/" + round + "/trigger", null);
            awaitState(round, "PUBLISHED");
            ArtifactManifest a = c.artifact(round);
            var file = a.getFilesList().stream().filter(f -> f.getName().endsWith(".safetensors")).findFirst()
                    .orElseThrow();
            Path partial = dir.resolve("partial.safetensors");
            // The first 1000 bytes arrived before an interruption.
            var iter = ModelServiceGrpc.newBlockingStub(as(channel(), gina.credential())).downloadFile(
                    DownloadFileRequest.newBuilder().setRoundId(round).setName(file.getName()).build());
            Files.write(partial, java.util.Arrays.copyOf(iter.next().getData().toByteArray(), 1000));
            long received = c.download(round, file, partial, n -> { });
            assertThat(received).isEqualTo(file.getSize() - 1000);
            assertThat(Manifests.sha256(partial)).isEqualTo(file.getSha256());
        }
    }

    @Test
    void watchersSeeEventsAndKeepAlives() throws Exception {
        EdgeConfig hank = FederationFixture.enroll(hub, "hank");
        try (HubClient c = FederationFixture.client(hank)) {
            var events = c.watch(0);
            String round = FederationFixture.openRound(hub, "linear", Map.of("weight", 1), 1);
            boolean sawOpen = false;
            boolean sawKeepalive = false;
            for (int i = 0; i < 500 && !(sawOpen && sawKeepalive); i++) {
                var e = events.next();
                sawOpen |= e.getRoundId().equals(round) && e.getState() == io.fedmerge.proto.v1.RoundState.ROUND_OPEN;
                sawKeepalive |= e.getKeepalive();
            }
            assertThat(sawOpen).isTrue();
            assertThat(sawKeepalive).isTrue();
        }
    }

    @Test
    void roundsRejectUnknownParametersAtCreation() {
        assertThatThrownBy(() -> FederationFixture.openRound(hub, "ties", Map.of("weight", 1, "densty", 0.5), 1))
                .hasMessageContaining("400").hasMessageContaining("unknown parameter 'densty'");
    }

    @Test
    void operatorsSeeFedmergeMetricsAndProbes() throws Exception {
        publishTiesRound();
        ManagedChannel ch = channel();
        try {
            String round = FederationFixture.openRound(hub, "linear", Map.of("weight", 1), 1);
            assertStatus(() -> begin(as(ch, alice.credential()), round, Manifests.of(fx.models.resolve(
                    "wrong-base.safetensors"))), Status.Code.FAILED_PRECONDITION, "base digest");
        } finally {
            ch.shutdownNow();
        }
        // The last-seen gauge refreshes on a schedule (every 200 ms here): wait for it, not for a fixed time.
        await().atMost(Duration.ofSeconds(30)).until(() -> management("/actuator/prometheus").body()
                .contains("node=\"alice\""));
        String metrics = management("/actuator/prometheus").body();
        assertThat(metrics).contains("fedmerge_rounds{", "state=\"PUBLISHED\"", "fedmerge_bytes_received_bytes_total",
                "fedmerge_bytes_sent_bytes_total", "fedmerge_contributions_received_total",
                "fedmerge_contributions_rejected_total{", "reason=\"wrong_base\"", "fedmerge_transfers_active",
                "fedmerge_merge_duration_seconds", "fedmerge_upload_duration_seconds", "fedmerge_nodes_enrolled",
                "fedmerge_node_last_seen_seconds{", "node=\"alice\"");
        assertThat(metrics).doesNotContain(alice.credential());
        assertThat(management("/actuator/health/readiness").body()).contains("UP");
        assertThat(management("/actuator/health/liveness").body()).contains("UP");
        // The main port serves the API and nothing under /actuator.
        assertThat(http("GET", "/actuator/prometheus", null).statusCode()).isEqualTo(401);
        assertThat(http("GET", "/actuator/prometheus", "test-admin-token").statusCode()).isIn(403, 404);
    }

    static HttpResponse<String> management(String path) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(hub.managementUrl() + path))
                    .build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theAdminApiIsDescribedByAnOpenApiDocument() {
        assertThat(http("GET", "/v3/api-docs", null).statusCode()).isEqualTo(401);
        HttpResponse<String> doc = http("GET", "/v3/api-docs", "test-admin-token");
        assertThat(doc.statusCode()).isEqualTo(200);
        assertThat(doc.body()).contains("\"openapi\"", "/api/v1/rounds/{id}/trigger", "/api/v1/enrollment-tokens",
                "/api/v1/base-models", "/api/v1/nodes/{id}", "\"securitySchemes\"", "\"scheme\":\"bearer\"");
    }
}
