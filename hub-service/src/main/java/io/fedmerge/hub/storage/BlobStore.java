package io.fedmerge.hub.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;

/**
 * Where the hub keeps bulk bytes: uploaded task vectors and consolidated checkpoints, under '/'-separated keys.
 * Writes are positional appends (an upload resumes at the stored length); reads are streams from an offset.
 */
public interface BlobStore {
    /** Length of the blob, or -1 if it does not exist. */
    long size(String key) throws IOException;

    /** Writes {@code data} at {@code offset}, which must equal the current size (0 creates the blob). */
    void append(String key, long offset, ByteBuffer data) throws IOException;

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
