package io.fedmerge.hub.storage;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * One upload stream into S3 part objects. Bytes fill a part-sized buffer; a full buffer is PUT in the background
 * while the next one fills, so the stream does not stall for each request (two buffers per stream, never more: a
 * third part waits for the PUT before it). A failed PUT surfaces at the next flush or at close, and nothing after
 * it is sent, so the stored parts always form a gap-free prefix that a resumed stream continues from.
 */
final class S3PartAppender implements BlobStore.Appender {
    /** Stores one part object. */
    interface PartWriter {
        void put(long offset, byte[] data, int length) throws IOException;
    }

    private final PartWriter writer;
    private final ExecutorService executor;
    private final FileChannel spool;
    private byte[] filling;
    private byte[] spare;
    private int buffered;
    private long start;
    private Future<?> inFlight;

    /**
     * @param stored bytes already in part objects (the stream continues there)
     * @param spool local copy written alongside, or null
     */
    S3PartAppender(PartWriter writer, ExecutorService executor, int partBytes, long stored, FileChannel spool) {
        this.writer = writer;
        this.executor = executor;
        this.spool = spool;
        this.filling = new byte[partBytes];
        this.spare = new byte[partBytes];
        this.start = stored;
    }

    @Override
    public long size() {
        return start + buffered;
    }

    @Override
    public void append(ByteBuffer data) throws IOException {
        if (spool != null) {
            ByteBuffer copy = data.duplicate();
            for (long at = size(); copy.hasRemaining(); ) {
                at += spool.write(copy, at);
            }
        }
        while (data.hasRemaining()) {
            int n = Math.min(data.remaining(), filling.length - buffered);
            data.get(filling, buffered, n);
            buffered += n;
            if (buffered == filling.length) {
                flush();
            }
        }
    }

    private void flush() throws IOException {
        if (buffered == 0) {
            return;
        }
        awaitInFlight();
        byte[] part = filling;
        int length = buffered;
        long offset = start;
        inFlight = executor.submit(() -> {
            writer.put(offset, part, length);
            return null;
        });
        filling = spare;
        spare = part; // reused only after awaitInFlight: the PUT may still be reading it
        start += length;
        buffered = 0;
    }

    private void awaitInFlight() throws IOException {
        if (inFlight == null) {
            return;
        }
        try {
            inFlight.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while storing an upload part");
        } finally {
            inFlight = null;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            flush();
            awaitInFlight();
        } finally {
            if (spool != null) {
                spool.close();
            }
        }
    }
}
