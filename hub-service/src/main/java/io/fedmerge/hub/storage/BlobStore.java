package io.fedmerge.hub.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;

/**
 * Where the hub keeps bulk bytes: uploaded task vectors and consolidated checkpoints, under '/'-separated keys.
 * Writes are appends (an upload resumes at the stored length); reads are channels positioned at an offset.
 */
public interface BlobStore {
    /** Length of the blob, or -1 if it does not exist. */
    long size(String key) throws IOException;

    /** An open blob for a stream of appends (one upload stream), so each chunk costs one write, not an open. */
    interface Appender extends AutoCloseable {
        /** Bytes the blob holds. */
        long size();

        void append(ByteBuffer data) throws IOException;

        @Override
        void close() throws IOException;
    }

    /** Opens (creating if needed) a blob for appending at its end. */
    Appender appender(String key) throws IOException;

    /** Forces appended bytes to stable storage. */
    void sync(String key) throws IOException;

    SeekableByteChannel read(String key) throws IOException;

    /** Atomically replaces {@code to} with {@code from}. */
    void move(String from, String to) throws IOException;

    void delete(String key) throws IOException;

    /** Deletes every blob under a key prefix. */
    void deleteTree(String prefix) throws IOException;

    /**
     * A local file or directory for {@code key} that merge-core can map (the filesystem store's own file; a remote
     * store would stage a copy).
     */
    Path localPath(String key);
}
