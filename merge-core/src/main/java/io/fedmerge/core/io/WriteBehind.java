package io.fedmerge.core.io;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Writes staged bytes to a {@link DirectOutputFile} on a background thread, so that a worker goes on merging while
 * the disk takes its last slice: a direct write returns only when the device has the bytes, and a worker waiting for
 * it would leave its core idle (on 2 cores, ~0.75 s of a 1.5 GB merge). A fixed pool of buffers bounds the memory and
 * holds workers back when the disk is the bottleneck. The first failure is kept and thrown to the next caller and to
 * {@link #drain}, so nothing unwritten is ever synced and published.
 */
final class WriteBehind implements AutoCloseable {
    /** Buffers in flight or being filled: two per worker of a 2-core machine is enough to keep the disk busy. */
    static final int BUFFERS = 4;

    private final DirectOutputFile file;
    private final BlockingQueue<MemorySegment> free = new ArrayBlockingQueue<>(BUFFERS);
    /** Buffers allocated so far (at most BUFFERS); each is either free or in flight. */
    private int created;
    private final ExecutorService writer;
    private volatile IOException failure;

    WriteBehind(DirectOutputFile file, String name) {
        this.file = file;
        this.writer = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("write-" + name)
                .unstarted(r));
    }

    /**
     * Lets {@code fill} put {@code bytes} bytes bound for {@code position} into staging memory, and queues them for
     * writing. Waits while every buffer is in flight; the buffer goes back to the pool once written, or at once if
     * {@code fill} or the queueing fails.
     */
    void write(long position, int bytes, Consumer<MemorySegment> fill) throws IOException {
        throwIfFailed();
        MemorySegment taken = takeBuffer(bytes);
        MemorySegment backing = taken.byteSize() < file.backingSize(bytes) ? file.allocateBacking(bytes) : taken;
        boolean queued = false;
        try {
            MemorySegment data = file.stagingFor(backing, position, bytes);
            fill.accept(data);
            writer.execute(() -> writeAndRelease(data, position, backing));
            queued = true;
        } finally {
            if (!queued) {
                free.add(backing);
            }
        }
    }

    private void writeAndRelease(MemorySegment data, long position, MemorySegment backing) {
        try {
            if (failure == null) {
                file.write(data, position);
            }
        } catch (IOException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = new IOException("write at byte " + position + " failed: " + e, e);
        } finally {
            free.add(backing);
        }
    }

    private MemorySegment takeBuffer(int bytes) throws IOException {
        synchronized (free) {
            if (created < BUFFERS && free.isEmpty()) {
                created++;
                return file.allocateBacking(bytes);
            }
        }
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the disk");
        }
    }

    /** Waits until every submitted write is done, then throws the first failure if there was one. */
    void drain() throws IOException {
        int buffers;
        synchronized (free) {
            buffers = created;
        }
        List<MemorySegment> back = new ArrayList<>(buffers);
        try {
            for (int i = 0; i < buffers; i++) {
                back.add(free.take()); // every buffer back in the pool: nothing is in flight
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the disk");
        } finally {
            free.addAll(back);
        }
        throwIfFailed();
    }

    private void throwIfFailed() throws IOException {
        IOException f = failure;
        if (f != null) {
            throw new IOException(f.getMessage(), f);
        }
    }

    /** Lets queued writes finish (a failed merge discards the file anyway) and stops the thread. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
