package io.fedmerge.core.io;

import io.fedmerge.core.tensor.FloatCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes one safetensors file whose layout is fixed up front: the header goes first, then any thread may write any
 * slice of any tensor at its final position. Positional writes are safe from many threads, so workers never wait for
 * each other and the bytes are the same for any thread count. Whole file-system blocks bypass the page cache where
 * the file system allows it ({@link DirectOutputFile}).
 */
public final class SafetensorsWriter implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path path;
    private final DirectOutputFile file;
    private final WriteBehind behind;
    private final long dataStart;
    private final Map<String, Placed> placed = new LinkedHashMap<>();

    private record Placed(TensorSpec spec, long begin) {}

    /**
     * Bytes written since the last background flush started. Where the file system refuses O_DIRECT, every byte goes
     * through the page cache, and without these flushes the kernel would hold a whole output (GBs) dirty until
     * {@link #sync}, which then stalls for the full write-back; flushing every {@value #FLUSH_EVERY_BYTES} bytes on a
     * background thread overlaps the write-back with the merge (with O_DIRECT there is little left to flush), and
     * the final sync still makes every byte durable before anything is published.
     */
    private static final long FLUSH_EVERY_BYTES = 64L << 20;
    private final AtomicLong unflushed = new AtomicLong();
    private final AtomicReference<Thread> flushing = new AtomicReference<>();
    private final AtomicReference<IOException> flushFailure = new AtomicReference<>();

    /** Creates {@code path} (which must not exist) and writes the header for {@code tensors}, in that order. */
    public SafetensorsWriter(Path path, List<TensorSpec> tensors, Map<String, String> metadata) {
        this.path = path;
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (TensorSpec t : tensors) {
            ObjectNode entry = header.putObject(t.name());
            entry.put("dtype", t.dtype().name());
            ArrayNode shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(offset).add(offset + t.byteLength());
            placed.put(t.name(), new Placed(t, offset));
            offset += t.byteLength();
        }
        byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        // Pad with spaces to a multiple of 8 so the data section is aligned, as the reference writer does.
        int padded = (json.length + 7) & ~7;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        this.dataStart = 8 + padded;
        try {
            this.file = DirectOutputFile.create(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + path, e);
        }
        try {
            file.write(head.flip(), 0);
            // Size the file now so a full disk fails here, before hours of merging, on filesystems that allocate.
            if (offset > 0) {
                file.write(ByteBuffer.allocate(1), dataStart + offset - 1);
            }
        } catch (IOException e) {
            closeQuietly(file);
            throw new UncheckedIOException("cannot write the header of " + path
                    + " (disk full? free space or choose another output directory)", e);
        }
        this.behind = new WriteBehind(file, path.getFileName().toString());
    }

    private static void closeQuietly(DirectOutputFile file) {
        try {
            file.close();
        } catch (IOException ignored) {
            // Already failing with the write's error.
        }
    }

    public Path path() {
        return path;
    }

    /** Encodes {@code count} floats as the tensor's dtype and writes them at element {@code first} of the tensor. */
    public void write(String tensor, long first, float[] values, int count) {
        Placed p = placed.get(tensor);
        int size = p.spec().dtype().byteSize();
        long byteOffset = first * size;
        requireInside(p, byteOffset, (long) count * size);
        // Encoded straight into staging memory: vector stores into native memory are intrinsified, and the aligned
        // middle then goes to disk without another copy, on the write-behind thread.
        try {
            behind.write(dataStart + p.begin() + byteOffset, count * size,
                    staging -> FloatCodec.encode(values, 0, count, p.spec().dtype(), staging));
        } catch (IOException e) {
            throw writeFailed(tensor, e);
        }
        countWritten((long) count * size);
    }

    /** Writes raw little-endian tensor bytes at byte {@code byteOffset} of the tensor. */
    public void writeRaw(String tensor, long byteOffset, ByteBuffer bytes) {
        Placed p = placed.get(tensor);
        int n = bytes.remaining();
        requireInside(p, byteOffset, n);
        try {
            behind.write(dataStart + p.begin() + byteOffset, n,
                    staging -> staging.copyFrom(MemorySegment.ofBuffer(bytes)));
        } catch (IOException e) {
            throw writeFailed(tensor, e);
        }
        countWritten(n);
    }

    private static void requireInside(Placed p, long byteOffset, long bytes) {
        if (byteOffset < 0 || byteOffset + bytes > p.spec().byteLength()) {
            throw new IndexOutOfBoundsException("write past the end of tensor " + p.spec().name());
        }
    }

    private UncheckedIOException writeFailed(String tensor, IOException e) {
        return new UncheckedIOException("cannot write " + tensor + " to " + path
                + " (disk full? free space or choose another output directory)", e);
    }

    private void countWritten(long bytes) {
        if (unflushed.addAndGet(bytes) >= FLUSH_EVERY_BYTES) {
            flushInBackground();
        }
    }

    /** Starts a write-back of what is written so far, unless one is running (then it will pick these bytes up). */
    private void flushInBackground() {
        Thread previous = flushing.get();
        if (previous != null && previous.isAlive()) {
            return;
        }
        Thread flush = Thread.ofPlatform().daemon().name("flush-" + path.getFileName()).unstarted(() -> {
            try {
                file.force(false);
            } catch (IOException e) {
                flushFailure.compareAndSet(null, e);
            }
        });
        if (flushing.compareAndSet(previous, flush)) {
            unflushed.set(0);
            flush.start();
        }
    }

    /** Forces the bytes to disk; call before publishing the file under its final name. */
    public void sync() {
        try {
            behind.drain();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path
                    + " (disk full? free space or choose another output directory)", e);
        }
        try {
            awaitFlush();
            if (flushFailure.get() != null) {
                throw flushFailure.get();
            }
            file.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sync " + path, e);
        }
    }

    private void awaitFlush() {
        Thread running = flushing.get();
        if (running == null) {
            return;
        }
        try {
            running.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException("interrupted while syncing " + path, new java.io.InterruptedIOException());
        }
    }

    @Override
    public void close() {
        try {
            behind.close(); // queued writes finish before the channels close
            awaitFlush(); // a background flush must not outlive the channel it forces
            file.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + path, e);
        }
    }
}
