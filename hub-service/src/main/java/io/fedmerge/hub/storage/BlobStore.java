package io.fedmerge.hub.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the hub keeps bulk bytes: uploaded task vectors and consolidated checkpoints, under '/'-separated keys.
 * Uploads arrive as appends (a stream resumes at the stored length); downloads are channels positioned at an
 * offset; merges and content checks work on local files that {@link #stage} provides, because merge-core maps its
 * inputs and reads them more than once.
 */
public interface BlobStore {
    /** Length of the blob (for an upload in progress: the bytes stored so far), or -1 if it does not exist. */
    long size(String key) throws IOException;

    /** An open blob for a stream of appends (one upload stream), so each chunk costs one write, not an open. */
    interface Appender extends AutoCloseable {
        /** Bytes the blob holds, counting any not yet flushed. */
        long size();

        void append(ByteBuffer data) throws IOException;

        /** Makes every appended byte durable, then releases the blob. */
        @Override
        void close() throws IOException;
    }

    /** Opens (creating if needed) a blob for appending at its end. */
    Appender appender(String key) throws IOException;

    /** A channel over the blob's bytes that reads from any position without holding the blob in memory. */
    SeekableByteChannel read(String key) throws IOException;

    /** A local file holding a blob's bytes for as long as the handle is open. */
    interface Staged extends AutoCloseable {
        Path path();

        @Override
        void close() throws IOException;
    }

    /** The blob as a local file: the store's own file where it has one, else a copy in the hub's scratch space. */
    Staged stage(String key) throws IOException;

    /** Whether {@link #stage} copies bytes into the hub's scratch space (true) or hands out the store's own file. */
    boolean stagesCopies();

    /**
     * Makes {@code file} durable under {@code key}, replacing any blob there; readers see the old bytes or the new
     * ones, never a mixture. The file is consumed (moved into the store or deleted once copied).
     */
    void put(String key, Path file) throws IOException;

    /**
     * Makes the bytes of blob {@code from} (an upload just verified through {@code verifiedCopy}, a copy from
     * {@link #stage}) durable under {@code to}, then removes {@code from}. A store may assemble {@code to} from what
     * it already holds instead of copying the local file again.
     */
    default void promote(String from, String to, Path verifiedCopy) throws IOException {
        put(to, verifiedCopy);
        delete(from);
    }

    void delete(String key) throws IOException;

    /**
     * The names of the blobs directly under {@code dir} (one level, like a checkpoint directory), sorted; empty when
     * there are none. Uploads still in progress are not listed on stores that keep them apart.
     */
    List<String> list(String dir) throws IOException;

    /** Deletes every blob under a key prefix. */
    void deleteTree(String prefix) throws IOException;
}
