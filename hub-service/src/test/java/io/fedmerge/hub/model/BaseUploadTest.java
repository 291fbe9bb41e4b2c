package io.fedmerge.hub.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointDigest;
import io.fedmerge.core.io.FileHashes;
import io.fedmerge.hub.AdminHttp;
import io.fedmerge.hub.Federation;
import io.fedmerge.hub.TestHub;
import io.fedmerge.hub.round.RoundRequest;
import io.fedmerge.hub.round.RoundService;
import io.fedmerge.hub.storage.LocalS3;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A base checkpoint sent through the admin API into the blob store, as an admin of a hub in a pod must: every file
 * in pieces that resume at the offset the hub reports, completed into a registered base that rounds use — and every
 * way such an upload goes wrong loses only what it must.
 */
class BaseUploadTest {
    @TempDir
    static Path dir;
    static Federation models;
    static TestHub hub;
    static AdminHttp admin;

    @BeforeAll
    static void start() {
        models = new Federation(dir.resolve("models"), ModelShape.preset("tiny"), 0);
        hub = TestHub.start(dir.resolve("hub"), models.modelsRootArg());
        admin = new AdminHttp(hub, TestHub.ADMIN_TOKEN);
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void aBaseSentInResumedPiecesIsRegisteredWithTheDigestOfTheSameFilesOnDiskAndRoundsUseIt() throws Exception {
        JsonNode upload = open(admin, "uploaded", models.root.resolve("base"));
        String id = upload.path("id").asString();
        for (Path file : files(models.root.resolve("base"))) {
            byte[] bytes = Files.readAllBytes(file);
            int half = bytes.length / 2;
            // the first half, then the whole file again from 0 as a client that lost its place would: refused,
            // and the answer says where to resume
            assertThat(send(admin, id, file, 0, Arrays.copyOf(bytes, half)).path("received").asLong()).isEqualTo(half);
            AdminHttp.Reply again = admin.put(path(id, file, 0), bytes);
            assertThat(again.status()).isEqualTo(409);
            assertThat(again.detail()).contains("send it from offset " + half);
            assertThat(send(admin, id, file, half, Arrays.copyOfRange(bytes, half, bytes.length)).path("received")
                    .asLong()).isEqualTo(bytes.length);
        }
        AdminHttp.Reply done = admin.post("/api/v1/base-models/uploads/" + id + "/complete", Map.of());
        assertThat(done.status()).isEqualTo(201);
        assertThat(done.body().path("path").asString()).isEqualTo("(uploaded)");
        AdminHttp.Reply byPath = admin.post("/api/v1/base-models", Map.of("name", "on-disk", "path", "base"));
        assertThat(done.body().path("digest").asString()).isEqualTo(byPath.body().path("digest").asString());
        assertThat(admin.get("/api/v1/base-models/uploads/" + id).status()).isEqualTo(404);
        String round = hub.bean(RoundService.class).create(new RoundRequest("uploaded", "task_arithmetic", Map.of(),
                Map.of("weight", 1), List.of(), 1, null), "test").id();
        assertThat(round).isNotBlank();
    }

    @Test
    void openingTheSameUploadAgainResumesItAndOtherFilesUnderItsNameAreRefused() throws Exception {
        Path base = models.root.resolve("base");
        JsonNode first = open(admin, "resumed", base);
        Path one = files(base).getFirst();
        send(admin, first.path("id").asString(), one, 0, Arrays.copyOf(Files.readAllBytes(one), 10));
        JsonNode second = open(admin, "resumed", base);
        assertThat(second.path("id").asString()).isEqualTo(first.path("id").asString());
        assertThat(second.path("files").get(0).path("received").asLong()).isEqualTo(10);
        AdminHttp.Reply other = admin.post("/api/v1/base-models/uploads", Map.of("name", "resumed", "files",
                List.of(Map.of("file", "model.safetensors", "bytes", 1, "sha256", "0".repeat(64)))));
        assertThat(other.status()).isEqualTo(409);
        assertThat(other.detail()).contains("with other files is in progress");
    }

    @Test
    void aFileWhoseHashDiffersIsDeletedAndSentAgainTheOthersStay() throws Exception {
        Path base = models.root.resolve("base");
        String id = open(admin, "corrupted", base).path("id").asString();
        List<Path> files = files(base);
        Path weights = files.stream().filter(f -> f.toString().endsWith(".safetensors")).findFirst().orElseThrow();
        for (Path f : files) {
            byte[] bytes = Files.readAllBytes(f);
            if (f.equals(weights)) {
                bytes = bytes.clone();
                bytes[bytes.length - 1] ^= 1; // one bit flipped on the way
            }
            send(admin, id, f, 0, bytes);
        }
        AdminHttp.Reply refused = admin.post("/api/v1/base-models/uploads/" + id + "/complete", Map.of());
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.detail()).contains("'" + weights.getFileName() + "' arrived with SHA-256", "send it again");
        for (JsonNode f : admin.get("/api/v1/base-models/uploads/" + id).body().path("files")) {
            long expected = f.path("file").asString().equals(weights.getFileName().toString()) ? 0
                    : f.path("bytes").asLong();
            assertThat(f.path("received").asLong()).as(f.path("file").asString()).isEqualTo(expected);
        }
        send(admin, id, weights, 0, Files.readAllBytes(weights));
        assertThat(admin.post("/api/v1/base-models/uploads/" + id + "/complete", Map.of()).status()).isEqualTo(201);
    }

    @Test
    void bytesPastTheDeclaredSizeAreRefusedAndWhatCameBeforeIsKept() throws Exception {
        Path base = models.root.resolve("base");
        String id = open(admin, "too-long", base).path("id").asString();
        Path config = base.resolve("config.json");
        byte[] longer = Arrays.copyOf(Files.readAllBytes(config), (int) Files.size(config) + 100);
        AdminHttp.Reply r = admin.put(path(id, config, 0), longer);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.detail()).contains("is declared as " + Files.size(config) + " bytes");
        assertThat(admin.delete("/api/v1/base-models/uploads/" + id).status()).isEqualTo(204);
        assertThat(admin.get("/api/v1/base-models/uploads/" + id).status()).isEqualTo(404);
    }

    @Test
    void filesThatAreNoCheckpointAreRefusedAtCompletionAndNothingIsRegistered() throws Exception {
        Path fake = Files.createDirectories(dir.resolve("fake"));
        Files.writeString(fake.resolve("model.safetensors"), "this is not a safetensors file");
        String id = open(admin, "not-a-model", fake).path("id").asString();
        send(admin, id, fake.resolve("model.safetensors"), 0, Files.readAllBytes(fake.resolve("model.safetensors")));
        AdminHttp.Reply r = admin.post("/api/v1/base-models/uploads/" + id + "/complete", Map.of());
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body().path("reason").asString()).isEqualTo("not_a_checkpoint");
        assertThat(r.detail()).doesNotContain("this is not");
        assertThat(hub.bean(BaseModelRegistry.class).byName("not-a-model")).isEmpty();
    }

    @Test
    void declarationsThatCouldEscapeOrMisleadAreRefused() {
        String sha = "a".repeat(64);
        for (Object files : List.of(
                List.of(Map.of("file", "../model.safetensors", "bytes", 1, "sha256", sha)),
                List.of(Map.of("file", "sub/model.safetensors", "bytes", 1, "sha256", sha)),
                List.of(Map.of("file", ".hidden.safetensors", "bytes", 1, "sha256", sha)),
                List.of(Map.of("file", "config.json", "bytes", 1, "sha256", sha)),
                List.of(Map.of("file", "model.safetensors", "bytes", 1, "sha256", "XYZ")),
                List.of(Map.of("file", "model.safetensors", "bytes", 1, "sha256", sha),
                        Map.of("file", "model.safetensors", "bytes", 2, "sha256", sha)))) {
            AdminHttp.Reply r = admin.post("/api/v1/base-models/uploads", Map.of("name", "hostile", "files", files));
            assertThat(r.status()).as("%s", files).isEqualTo(400);
        }
    }

    @Test
    void onTheS3StoreTheBaseLivesInTheBucketAndTheHubReadsItFromALocalCopy(@TempDir Path s3dir) throws Exception {
        try (LocalS3 s3 = LocalS3.start(Files.createDirectories(s3dir.resolve("s3")));
                TestHub onS3 = TestHub.start(s3dir.resolve("hub"), s3.hubArgs("bases"))) {
            AdminHttp a = new AdminHttp(onS3, TestHub.ADMIN_TOKEN);
            Path base = models.root.resolve("base");
            String id = open(a, "in-bucket", base).path("id").asString();
            for (Path f : files(base)) {
                send(a, id, f, 0, Files.readAllBytes(f));
            }
            JsonNode registered = a.post("/api/v1/base-models/uploads/" + id + "/complete", Map.of()).body();
            String baseId = registered.path("id").asString();
            assertThat(s3.keys("bases", "fedmerge/bases/" + baseId + "/")).hasSize(files(base).size());
            assertThat(s3.keys("bases", "fedmerge/base-uploads/")).isEmpty();
            Path copy = s3dir.resolve("hub/base-cache/" + baseId);
            for (Path f : files(base)) {
                assertThat(FileHashes.sha256(copy.resolve(f.getFileName()))).isEqualTo(FileHashes.sha256(f));
            }
            try (Checkpoint original = Checkpoint.open(base)) {
                assertThat(registered.path("digest").asString()).isEqualTo(CheckpointDigest.of(original));
            }
            // a base someone synced into the bucket themselves, under <prefix>models/
            for (Path f : files(base)) {
                s3.client().putObject(b -> b.bucket("bases").key("fedmerge/models/synced/" + f.getFileName()),
                        software.amazon.awssdk.core.sync.RequestBody.fromFile(f));
            }
            JsonNode adopted = a.post("/api/v1/base-models", Map.of("name", "synced", "storeKey", "models/synced"))
                    .body();
            assertThat(adopted.path("digest").asString()).isEqualTo(registered.path("digest").asString());
            assertThat(s3dir.resolve("hub/base-cache/" + adopted.path("id").asString() + "/model.safetensors"))
                    .isRegularFile();
        }
    }

    @Test
    void aBaseSyncedIntoTheStoreUnderModelsIsRegisteredByItsKeyAndNothingElseIs() throws Exception {
        Path synced = Files.createDirectories(dir.resolve("hub/blobs/models/synced"));
        for (Path f : files(models.root.resolve("base"))) {
            Files.copy(f, synced.resolve(f.getFileName()));
        }
        AdminHttp.Reply r = admin.post("/api/v1/base-models", Map.of("name", "synced", "storeKey", "models/synced"));
        assertThat(r.status()).as(r.body().toString()).isEqualTo(201);
        assertThat(r.body().path("path").asString()).isEqualTo("(uploaded)");
        try (Checkpoint original = Checkpoint.open(models.root.resolve("base"))) {
            assertThat(r.body().path("digest").asString()).isEqualTo(CheckpointDigest.of(original));
        }
        assertThat(hub.bean(RoundService.class).create(new RoundRequest("synced", "task_arithmetic", Map.of(),
                Map.of("weight", 1), List.of(), 1, null), "test").id()).isNotBlank();
        assertThat(synced.resolve("model.safetensors")).isRegularFile(); // the hub adopts, never moves or deletes

        Files.createDirectories(dir.resolve("hub/blobs/models/empty"));
        for (String key : List.of("rounds/x/artifact", "models/../rounds/x/artifact", "/models/synced",
                "models//synced", "bases/x")) {
            AdminHttp.Reply refused = admin.post("/api/v1/base-models", Map.of("name", "hostile", "storeKey", key));
            assertThat(refused.status()).as(key).isEqualTo(400);
            assertThat(refused.body().path("reason").asString()).as(key).isEqualTo("bad_store_key");
        }
        AdminHttp.Reply empty = admin.post("/api/v1/base-models", Map.of("name", "empty", "storeKey", "models/empty"));
        assertThat(empty.status()).isEqualTo(400);
        assertThat(empty.detail()).contains("no .safetensors file directly under 'models/empty'");
        AdminHttp.Reply both = admin.post("/api/v1/base-models", Map.of("name", "both", "path", "base",
                "storeKey", "models/synced"));
        assertThat(both.status()).isEqualTo(400);
    }

    @Test
    void anUploadThatWouldEatIntoTheDiskReserveIsRefusedBeforeAByteArrives(@TempDir Path other) throws Exception {
        try (TestHub full = TestHub.start(other, "--fedmerge.hub.disk.reserve=1000000GB")) {
            AdminHttp a = new AdminHttp(full, TestHub.ADMIN_TOKEN);
            Path config = models.root.resolve("base/config.json");
            AdminHttp.Reply r = a.post("/api/v1/base-models/uploads", Map.of("name", "too-big", "files", List.of(
                    Map.of("file", "model.safetensors", "bytes", Files.size(config), "sha256",
                            FileHashes.sha256(config)))));
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.detail()).contains("the upload of base 'too-big' needs", "free above its reserve",
                    "retry later");
            assertThat(other.resolve("blobs/base-uploads")).doesNotExist();
        }
    }

    @Test
    void anUploadNobodySendsToForTheSessionTtlIsDeletedWithItsBytes(@TempDir Path other) throws Exception {
        try (TestHub quick = TestHub.start(other, "--fedmerge.hub.streams.session-ttl=1s",
                "--fedmerge.hub.streams.session-sweep-ms=200")) {
            AdminHttp a = new AdminHttp(quick, TestHub.ADMIN_TOKEN);
            Path config = models.root.resolve("base/config.json");
            String id = open(a, "abandoned", models.root.resolve("base")).path("id").asString();
            send(a, id, config, 0, Arrays.copyOf(Files.readAllBytes(config), 5));
            Path held = other.resolve("blobs/base-uploads/" + id);
            assertThat(held).isDirectory();
            await().atMost(Duration.ofSeconds(20)).until(() -> a.get("/api/v1/base-models/uploads/" + id).status()
                    == 404);
            assertThat(held).doesNotExist();
            assertThat(a.get("/api/v1/audit?action=base.upload.expire").body().path("entries")).hasSize(1);
        }
    }

    static JsonNode open(AdminHttp a, String name, Path checkpoint) throws IOException {
        List<Map<String, Object>> declared = new ArrayList<>();
        for (Path f : files(checkpoint)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("file", f.getFileName().toString());
            m.put("bytes", Files.size(f));
            m.put("sha256", FileHashes.sha256(f));
            declared.add(m);
        }
        AdminHttp.Reply r = a.post("/api/v1/base-models/uploads", Map.of("name", name, "files", declared));
        assertThat(r.status()).as(r.body().toString()).isEqualTo(201);
        return r.body();
    }

    static JsonNode send(AdminHttp a, String id, Path file, long offset, byte[] bytes) {
        AdminHttp.Reply r = a.put(path(id, file, offset), bytes);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        return r.body();
    }

    static String path(String id, Path file, long offset) {
        return "/api/v1/base-models/uploads/" + id + "/files/" + file.getFileName() + "?offset=" + offset;
    }

    static List<Path> files(Path checkpoint) throws IOException {
        try (Stream<Path> s = Files.list(checkpoint)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }
}
