package io.fedmerge.hub.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.unit.DataSize;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The S3 blob store against a real S3-compatible server: parts, resume, multipart, ranged reads, deletes. */
class S3BlobStoreTest {
    private static final int MB = 1 << 20;

    @TempDir
    static Path dir;
    static LocalS3 server;
    static S3Client client;
    static S3BlobStore store;

    @BeforeAll
    static void start() throws Exception {
        server = LocalS3.start(Files.createDirectories(dir.resolve("s3")));
        client = server.client();
        store = new S3BlobStore(S3Clients.connect(server.settings("blobs", "5MB", true)),
                server.settings("blobs", "5MB", true), dir.resolve("staging"));
    }

    @AfterAll
    static void stop() throws Exception {
        store.close();
        client.close();
        server.close();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void appendInChunks(BlobStore.Appender out, byte[] data, int from, int to, int chunk)
            throws Exception {
        for (int at = from; at < to; at += chunk) {
            out.append(ByteBuffer.wrap(data, at, Math.min(chunk, to - at)));
        }
    }

    private static byte[] readFrom(BlobStore s, String key, long offset) throws Exception {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        try (SeekableByteChannel ch = s.read(key).position(offset)) {
            ByteBuffer buf = ByteBuffer.allocate(100_000);
            while (ch.read(buf.clear()) > 0) {
                all.write(buf.array(), 0, buf.position());
            }
        }
        return all.toByteArray();
    }

    private static List<Path> localFiles() throws Exception {
        try (var walk = Files.walk(dir.resolve("staging"))) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    private List<String> objects(String prefix) {
        return client.listObjectsV2Paginator(b -> b.bucket("blobs").prefix("fedmerge/" + prefix)).contents()
                .stream().map(S3Object::key).toList();
    }

    @Test
    void anUploadResumesFromItsStoredPartsAndCommitsAsOneObject() throws Exception {
        byte[] data = random(13 * MB + 12345, 1);
        String partial = "uploads/u1.partial";
        assertThat(store.size(partial)).isEqualTo(-1);
        try (BlobStore.Appender out = store.appender(partial)) {
            appendInChunks(out, data, 0, 7 * MB + 3, MB);
            // Only whole parts are stored while the stream runs (the first one possibly still on its way); the
            // appender counts what it holds.
            assertThat(out.size()).isEqualTo(7 * MB + 3);
            assertThat(store.size(partial)).isIn(-1L, 5L * MB);
        }
        assertThat(store.size(partial)).as("a closed stream stores its tail").isEqualTo(7 * MB + 3);
        try (BlobStore.Appender out = store.appender(partial)) {
            assertThat(out.size()).isEqualTo(7 * MB + 3);
            appendInChunks(out, data, 7 * MB + 3, data.length, 3 * MB);
        }
        assertThat(store.size(partial)).isEqualTo(data.length);
        assertThat(objects("uploads/u1.partial.parts/")).hasSize(4); // 5 MB, tail, 5 MB, rest

        try (BlobStore.Staged staged = store.stage(partial)) {
            assertThat(Files.readAllBytes(staged.path())).isEqualTo(data);
            store.put("rounds/r/contributions/a.safetensors", staged.path());
            assertThat(staged.path()).doesNotExist();
        }
        store.delete(partial);
        assertThat(store.size(partial)).isEqualTo(-1);
        assertThat(objects("uploads/")).isEmpty();
        assertThat(store.size("rounds/r/contributions/a.safetensors")).isEqualTo(data.length);
        assertThat(readFrom(store, "rounds/r/contributions/a.safetensors", 0)).isEqualTo(data);
        assertThat(localFiles()).as("no staged or spooled copy left behind").isEmpty();
    }

    @Test
    void aProcessThatDiesMidStreamLosesOnlyItsUnflushedTail() throws Exception {
        byte[] data = random(6 * MB, 2);
        String partial = "uploads/u2.partial";
        BlobStore.Appender crashed = store.appender(partial);
        appendInChunks(crashed, data, 0, 5 * MB + 100, MB); // never closed: the hub dies once its first PUT lands
        // The first part's PUT runs in the background: wait for it to land, not for a fixed time.
        await().atMost(Duration.ofSeconds(30)).until(() -> store.size(partial) >= 5 * MB);
        // What survives is the whole part that was stored, never the 100 buffered bytes after it.
        assertThat(store.size(partial)).isEqualTo(5L * MB);
        try (BlobStore.Appender out = store.appender(partial)) {
            assertThat(out.size()).isEqualTo(5L * MB);
            appendInChunks(out, data, 5 * MB, data.length, MB);
        }
        try (BlobStore.Staged staged = store.stage(partial)) {
            assertThat(Files.readAllBytes(staged.path())).isEqualTo(data);
        }
        store.delete(partial);
    }

    @Test
    void largeFilesGoUpInPartsAndReadBackFromAnyOffset() throws Exception {
        byte[] data = random(17 * MB + 1, 3);
        Path file = Files.write(dir.resolve("artifact.bin"), data);
        store.put("rounds/r2/artifact/model.safetensors", file);
        assertThat(file).as("put consumes the file").doesNotExist();
        assertThat(store.size("rounds/r2/artifact/model.safetensors")).isEqualTo(data.length);
        long offset = 11 * MB + 7;
        assertThat(readFrom(store, "rounds/r2/artifact/model.safetensors", offset))
                .isEqualTo(Arrays.copyOfRange(data, (int) offset, data.length));
        try (SeekableByteChannel ch = store.read("rounds/r2/artifact/model.safetensors")) {
            ByteBuffer one = ByteBuffer.allocate(4);
            ch.position(data.length - 4).read(one);
            assertThat(one.array()).isEqualTo(Arrays.copyOfRange(data, data.length - 4, data.length));
            ch.position(2);
            ch.read(one.clear());
            assertThat(one.array()).isEqualTo(Arrays.copyOfRange(data, 2, 6));
            assertThat(ch.position(data.length).read(one.clear())).isEqualTo(-1);
            // One read fills the buffer: a download sends each read as one message, so short reads would mean
            // many small messages.
            assertThat(ch.position(MB).read(ByteBuffer.allocate(MB))).isEqualTo(MB);
        }
        try (BlobStore.Staged staged = store.stage("rounds/r2/artifact/model.safetensors")) {
            assertThat(Files.readAllBytes(staged.path())).isEqualTo(data);
        }
        // Replacing keeps one object with the new bytes.
        byte[] smaller = random(MB, 4);
        store.put("rounds/r2/artifact/model.safetensors", Files.write(dir.resolve("again.bin"), smaller));
        assertThat(readFrom(store, "rounds/r2/artifact/model.safetensors", 0)).isEqualTo(smaller);

        store.deleteTree("rounds/r2");
        assertThat(objects("rounds/r2/")).isEmpty();
        assertThat(store.size("rounds/r2/artifact/model.safetensors")).isEqualTo(-1);
    }

    @Test
    void missingBlobsAndBadSettingsGetClearErrors() {
        assertThatThrownBy(() -> store.read("rounds/none/artifact/x")).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("rounds/none/artifact/x");
        assertThatThrownBy(() -> store.stage("rounds/none/contributions/y")).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("rounds/none/contributions/y");
        assertThatThrownBy(() -> store.appender("../escape")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new S3BlobStore(client, server.settings("no-such-bucket", "5MB", false),
                dir.resolve("staging-2"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no-such-bucket").hasMessageContaining("create-bucket");
        var wrongSecret = new io.fedmerge.hub.storage.StorageProperties.S3(server.endpoint(), "us-east-1", "blobs",
                "", LocalS3.ACCESS_KEY, "not-the-secret", true, DataSize.parse("5MB"),
                false);
        assertThatThrownBy(() -> new S3BlobStore(S3Clients.connect(wrongSecret), wrongSecret,
                dir.resolve("staging-3"))).isInstanceOf(IllegalStateException.class).hasMessageContaining("403");
        assertThatThrownBy(() -> new S3BlobStore(client, server.settings("blobs", "1MB", false),
                dir.resolve("staging-4"))).hasMessageContaining("part-size");
    }

    @Test
    void aVerifiedUploadIsAssembledInTheStoreUnlessAPartIsTooShort() throws Exception {
        byte[] data = random(12 * MB + 5, 5);
        // Whole parts (5 MB, 5 MB, rest): the target is assembled from them inside the store, and the local copy
        // handed over is left alone (a put would have consumed it).
        String partial = "uploads/u5.partial";
        try (BlobStore.Appender out = store.appender(partial)) {
            appendInChunks(out, data, 0, data.length, MB);
        }
        Path copy = Files.write(dir.resolve("verified-5"), data);
        store.promote(partial, "rounds/r5/contributions/a.safetensors", copy);
        assertThat(copy).as("assembled in the store, not uploaded from the copy").exists();
        assertThat(readFrom(store, "rounds/r5/contributions/a.safetensors", 0)).isEqualTo(data);
        assertThat(objects("uploads/u5")).isEmpty();

        // A stream cut left a 2 MB part in the middle, too short for a multipart part: the copy is uploaded.
        String cut = "uploads/u6.partial";
        try (BlobStore.Appender out = store.appender(cut)) {
            appendInChunks(out, data, 0, 2 * MB, MB);
        }
        try (BlobStore.Appender out = store.appender(cut)) {
            appendInChunks(out, data, 2 * MB, data.length, MB);
        }
        Path copy2 = Files.write(dir.resolve("verified-6"), data);
        store.promote(cut, "rounds/r6/contributions/a.safetensors", copy2);
        assertThat(copy2).as("uploaded from the verified copy").doesNotExist();
        assertThat(readFrom(store, "rounds/r6/contributions/a.safetensors", 0)).isEqualTo(data);
        assertThat(objects("uploads/u6")).isEmpty();
        assertThat(localFiles()).isEmpty();
    }

    @Test
    void theReceivingReplicaStagesItsSpoolAndAnotherReplicaFetchesTheParts() throws Exception {
        byte[] data = random(6 * MB, 6);
        String partial = "uploads/u7.partial";
        try (BlobStore.Appender out = store.appender(partial)) {
            appendInChunks(out, data, 0, data.length, MB);
        }
        try (BlobStore.Staged spooled = store.stage(partial)) {
            assertThat(spooled.path().getParent().getFileName().toString()).isEqualTo("spool");
            assertThat(Files.readAllBytes(spooled.path())).isEqualTo(data);
        }
        // Another replica (its own staging directory) has no spool: it fetches the parts.
        try (S3BlobStore other = new S3BlobStore(S3Clients.connect(server.settings("blobs", "5MB", true)),
                server.settings("blobs", "5MB", true), dir.resolve("staging-other"));
                BlobStore.Staged fetched = other.stage(partial)) {
            assertThat(fetched.path().getParent().getFileName().toString()).isEqualTo("staging-other");
            assertThat(Files.readAllBytes(fetched.path())).isEqualTo(data);
        }
        store.delete(partial);
        assertThat(localFiles()).isEmpty();
    }

    @Test
    void aPartBeyondAGapDoesNotCountAndIsDeletedWithTheUpload() throws Exception {
        // A part stored at 5 MB while nothing is stored at 0 (a stream from another replica raced ahead).
        client.putObject(b -> b.bucket("blobs").key("fedmerge/uploads/u9.partial.parts/" + String.format("%020d",
                5L * MB)), software.amazon.awssdk.core.sync.RequestBody.fromBytes(random(1000, 9)));
        assertThat(store.size("uploads/u9.partial")).isEqualTo(-1);
        try (BlobStore.Appender out = store.appender("uploads/u9.partial")) {
            assertThat(out.size()).as("the stream starts at 0, not after the gap").isZero();
        }
        store.delete("uploads/u9.partial");
        assertThat(objects("uploads/u9")).isEmpty();
    }
}
