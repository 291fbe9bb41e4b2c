package io.fedmerge.hub.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded store on a real directory: appends resume, puts replace atomically, keys stay inside the store. */
class FilesystemBlobStoreTest {
    @TempDir
    Path dir;

    @Test
    void anAppenderReopenedAfterAnInterruptionContinuesAtTheStoredLength() throws IOException {
        FilesystemBlobStore store = new FilesystemBlobStore(dir.resolve("blobs"));
        try (BlobStore.Appender a = store.appender("rounds/r/uploads/u")) {
            a.append(bytes("first half,"));
            assertThat(a.size()).isEqualTo(11);
        }
        try (BlobStore.Appender a = store.appender("rounds/r/uploads/u")) {
            assertThat(a.size()).as("a resumed stream starts where the stored bytes end").isEqualTo(11);
            a.append(bytes(" second half"));
        }
        assertThat(store.size("rounds/r/uploads/u")).isEqualTo(23);
        assertThat(read(store, "rounds/r/uploads/u", 0)).isEqualTo("first half, second half");
        assertThat(read(store, "rounds/r/uploads/u", 12)).as("a download resumes at any offset")
                .isEqualTo("second half");
    }

    @Test
    void aPutReplacesWholeAndAReaderOpenBeforeItKeepsTheOldBytes() throws IOException {
        FilesystemBlobStore store = new FilesystemBlobStore(dir.resolve("blobs"));
        store.put("artifact/model.safetensors", Files.writeString(dir.resolve("v1"), "version one"));
        try (SeekableByteChannel before = store.read("artifact/model.safetensors")) {
            store.put("artifact/model.safetensors", Files.writeString(dir.resolve("v2"), "version two, longer"));
            ByteBuffer old = ByteBuffer.allocate(64);
            before.read(old);
            assertThat(new String(old.array(), 0, old.position(), StandardCharsets.UTF_8)).isEqualTo("version one");
        }
        assertThat(read(store, "artifact/model.safetensors", 0)).isEqualTo("version two, longer");
        assertThat(dir.resolve("v1")).as("the put consumes its file").doesNotExist();
        assertThat(dir.resolve("v2")).doesNotExist();
    }

    @Test
    void aFileFromAnotherFileSystemIsCopiedBesideTheTargetThenRenamed() throws IOException {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && !Files.getFileStore(shm).equals(Files.getFileStore(dir)),
                "no second file system here");
        Path scratch = Files.createTempFile(shm, "fedmerge-blob", ".tmp");
        Files.writeString(scratch, "merged on a scratch volume");
        FilesystemBlobStore store = new FilesystemBlobStore(dir.resolve("blobs"));
        store.put("rounds/r/artifact/model.safetensors", scratch);
        assertThat(read(store, "rounds/r/artifact/model.safetensors", 0)).isEqualTo("merged on a scratch volume");
        assertThat(scratch).doesNotExist();
        try (var left = Files.list(dir.resolve("blobs/rounds/r/artifact"))) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("model.safetensors");
        }
    }

    @Test
    void stagingHandsOutTheStoresOwnFileAndMissingBlobsAreNamedByKeyNotPath() throws IOException {
        FilesystemBlobStore store = new FilesystemBlobStore(dir.resolve("blobs"));
        store.put("k", Files.writeString(dir.resolve("f"), "x"));
        try (BlobStore.Staged s = store.stage("k")) {
            assertThat(s.path()).isEqualTo(dir.resolve("blobs/k").toAbsolutePath());
        }
        assertThat(store.stagesCopies()).isFalse();
        assertThat(store.size("missing")).isEqualTo(-1);
        assertThatThrownBy(() -> store.read("missing")).isInstanceOf(NoSuchFileException.class)
                .hasMessage("blob missing");
        assertThatThrownBy(() -> store.stage("missing")).isInstanceOf(NoSuchFileException.class)
                .hasMessage("blob missing");
    }

    @Test
    void aKeyThatClimbsOutOfTheStoreIsRefused() throws IOException {
        FilesystemBlobStore store = new FilesystemBlobStore(dir.resolve("blobs"));
        Files.writeString(dir.resolve("outside"), "secret");
        for (String key : new String[] {"../outside", "rounds/../../outside", "/etc/passwd"}) {
            assertThatThrownBy(() -> store.read(key)).as(key).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("escapes the store");
            assertThatThrownBy(() -> store.delete(key)).as(key).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(dir.resolve("outside")).exists();
    }

    @Test
    void deleteTreeRemovesEveryBlobUnderThePrefixAndNothingElse() throws IOException {
        FilesystemBlobStore store = new FilesystemBlobStore(dir.resolve("blobs"));
        for (String key : new String[] {"rounds/a/uploads/1", "rounds/a/contributions/2", "rounds/b/uploads/3"}) {
            store.put(key, Files.writeString(dir.resolve("tmp"), key));
        }
        store.deleteTree("rounds/a/");
        assertThat(store.size("rounds/a/uploads/1")).isEqualTo(-1);
        assertThat(store.size("rounds/a/contributions/2")).isEqualTo(-1);
        assertThat(store.size("rounds/b/uploads/3")).isPositive();
        store.delete("rounds/b/uploads/3");
        store.delete("rounds/b/uploads/3"); // deleting twice is not an error
        assertThat(store.size("rounds/b/uploads/3")).isEqualTo(-1);
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String read(BlobStore store, String key, long offset) throws IOException {
        try (SeekableByteChannel ch = store.read(key)) {
            ch.position(offset);
            ByteBuffer b = ByteBuffer.allocate(256);
            while (ch.read(b) > 0) {
                // until the end
            }
            return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
        }
    }
}
