package io.fedmerge.hub.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * A read-only channel over one S3 object: a ranged GET from the current position, kept open while reads are
 * sequential and reopened after a seek or a broken connection.
 */
final class S3ReadChannel implements SeekableByteChannel {
    private static final int MAX_REOPENS = 3;

    private final S3Client s3;
    private final String bucket;
    private final String key;
    private final long size;
    private final byte[] transfer = new byte[64 << 10];
    private ResponseInputStream<GetObjectResponse> body;
    private long position;
    private boolean open = true;

    S3ReadChannel(S3Client s3, String bucket, String key, long size) {
        this.s3 = s3;
        this.bucket = bucket;
        this.key = key;
        this.size = size;
    }

    /** Fills {@code dst} as far as the object allows (callers send what one read returns as one message). */
    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!open) {
            throw new ClosedChannelException();
        }
        if (position >= size) {
            return -1;
        }
        long end = Math.min(size, position + dst.remaining());
        int total = 0;
        while (position < end) {
            int n = readSome(dst, (int) Math.min(transfer.length, end - position));
            total += n;
        }
        return total;
    }

    private int readSome(ByteBuffer dst, int want) throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                if (body == null) {
                    long from = position;
                    body = s3.getObject(b -> b.bucket(bucket).key(key).range("bytes=" + from + "-"));
                }
                int n = body.read(transfer, 0, want);
                if (n < 0) {
                    throw new IOException("S3 object " + key + " ended at " + position + " of " + size + " bytes");
                }
                dst.put(transfer, 0, n);
                position += n;
                return n;
            } catch (IOException | SdkException e) {
                dropBody();
                if (attempt == MAX_REOPENS) {
                    throw new IOException("S3 GET " + key + " at " + position + " failed: " + e.getMessage(), e);
                }
            }
        }
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) {
        if (newPosition != position) {
            dropBody();
            position = newPosition;
        }
        return this;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public SeekableByteChannel truncate(long newSize) {
        throw new NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
        dropBody();
    }

    /** Aborts rather than drains: the rest of a multi-GB body is not worth reading to reuse a connection. */
    private void dropBody() {
        if (body != null) {
            body.abort();
            try {
                body.close();
            } catch (IOException ignored) {
                // Aborted already; nothing left to release.
            }
            body = null;
        }
    }
}
