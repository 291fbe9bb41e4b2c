package io.fedmerge.core.io;

import io.fedmerge.core.tensor.DType;
import io.fedmerge.core.tensor.FloatCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * A run of a tensor's elements read from its file block by block ({@code pread} into one small buffer, reused), not
 * mapped. Why: mapping a slice, pre-faulting it and unmapping it again cost about 1 ns per element on this project's
 * machine — page-table work the kernel does per 4 KiB page, once per pass — against 0.1 ns to copy the block out of
 * the page cache into a buffer that stays in the CPU cache (docs/BENCHMARKS.md). A pass that reads one block in eight
 * also reads only those. Confined to the thread of the arena it allocates its buffer from.
 */
final class ReadElements implements ElementRun {
    private final FileChannel channel;
    private final Path path;
    private final String tensor;
    private final long byteStart;
    private final int count;
    private final DType dtype;
    private final Arena arena;
    private MemorySegment buffer = MemorySegment.NULL;
    private ByteBuffer bytes;

    ReadElements(FileChannel channel, Path path, String tensor, long byteStart, int count, DType dtype,
            Arena arena) {
        this.channel = channel;
        this.path = path;
        this.tensor = tensor;
        this.byteStart = byteStart;
        this.count = count;
        this.dtype = dtype;
        this.arena = arena;
    }

    @Override
    public void decode(int offset, int n, float[] dst) {
        FloatCodec.decode(read(offset, n), 0, dtype, dst, 0, n);
    }

    @Override
    public boolean decodeFinite(int offset, int n, float[] dst) {
        return FloatCodec.decodeMinusFinite(read(offset, n), 0, dtype, null, dst, n);
    }

    @Override
    public boolean decodeMinusFinite(int offset, int n, float[] minus, float[] dst) {
        return FloatCodec.decodeMinusFinite(read(offset, n), 0, dtype, minus, dst, n);
    }

    /** Reads elements [offset, offset + n) into the buffer and returns it. */
    private MemorySegment read(int offset, int n) {
        if (offset < 0 || n < 0 || offset + n > count) {
            throw new IndexOutOfBoundsException("elements [" + offset + ", " + (offset + n) + ") outside a run of "
                    + count + " of " + tensor);
        }
        int length = n * dtype.byteSize();
        if (buffer.byteSize() < length) {
            buffer = arena.allocate(length, 64);
            bytes = buffer.asByteBuffer();
        }
        bytes.clear().limit(length);
        long position = byteStart + (long) offset * dtype.byteSize();
        try {
            while (bytes.hasRemaining()) {
                if (channel.read(bytes, position + bytes.position()) < 0) {
                    throw new UncheckedIOException(new IOException("cannot read " + tensor + " of " + path
                            + ": the file ends early (was it truncated while being read?)"));
                }
            }
        } catch (ClosedByInterruptException e) {
            throw new UncheckedIOException("interrupted while reading " + tensor + " of " + path, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + tensor + " of " + path, e);
        }
        return buffer;
    }
}
