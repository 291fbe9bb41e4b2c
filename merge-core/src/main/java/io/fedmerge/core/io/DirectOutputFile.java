package io.fedmerge.core.io;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A new file written at any position from many threads, with the whole file-system blocks of each write going
 * straight to disk (O_DIRECT) and only the partial blocks at its two ends through the page cache.
 *
 * <p>Why: a merge writes its output once and never reads it back. Through the page cache the kernel copies every
 * byte into freshly allocated pages and writes them back later: measured here, that copy was the largest single item
 * of a TIES merge's profile (13 % of all CPU samples, about 0.45 GB/s), and a multi-GB output evicted the very input
 * models the merge was reading. The JDK offers O_DIRECT ({@link ExtendedOpenOption#DIRECT}) but only for writes whose
 * position, length and memory are block-aligned; a write here is cut into its aligned middle (direct) and its ends
 * (cached). Direct and cached writes never share a block, because different writes cover disjoint byte ranges and a
 * write's direct part stops short of any block that holds bytes outside it.
 *
 * <p>File systems without O_DIRECT (tmpfs on older kernels, some network file systems) get every write through the
 * page cache, as before; so does the rest of the file after a direct write fails for any reason, after that write is
 * retried through the cache (a real error, such as a full disk, then surfaces from the cached write).
 */
final class DirectOutputFile implements AutoCloseable {
    private final FileChannel cached;
    private final FileChannel direct;
    /** Cleared for good when a direct write fails. */
    private volatile boolean directUsable;
    private final int block;

    private DirectOutputFile(FileChannel cached, FileChannel direct, int block) {
        this.cached = cached;
        this.direct = direct;
        this.directUsable = direct != null;
        this.block = block;
    }

    /** Creates {@code path}, which must not exist. */
    static DirectOutputFile create(Path path) throws IOException {
        FileChannel cached = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
        FileChannel direct = null;
        int block = 1;
        try {
            block = Math.toIntExact(Files.getFileStore(path).getBlockSize());
            if (Integer.bitCount(block) == 1) {
                direct = FileChannel.open(path, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
            }
        } catch (IOException | UnsupportedOperationException | ArithmeticException e) {
            direct = null; // no O_DIRECT here: the page cache takes every write
        }
        return new DirectOutputFile(cached, direct, block);
    }

    /** Native memory in which {@link #stagingFor} can place up to {@code bytes} bytes for any file position. */
    MemorySegment allocateBacking(int bytes) {
        return Arena.ofAuto().allocate(backingSize(bytes), Math.max(block, 64));
    }

    long backingSize(int bytes) {
        return (long) bytes + block;
    }

    /**
     * Where in {@code backing} (from {@link #allocateBacking}) to put {@code bytes} bytes bound for file
     * {@code position}: an address congruent to the position modulo the block size, so that
     * {@link #write(MemorySegment, long)} can send the middle of the data straight to disk.
     */
    MemorySegment stagingFor(MemorySegment backing, long position, int bytes) {
        return backing.asSlice(Math.floorMod(position, block), bytes);
    }

    /** Writes {@code data} at {@code position}; the middle goes direct when {@code data} came from {@link #stagingFor}. */
    void write(MemorySegment data, long position) throws IOException {
        long end = position + data.byteSize();
        long alignedStart = roundUp(position);
        long alignedEnd = end & -block;
        boolean congruent = data.isNative() && Math.floorMod(data.address() - position, block) == 0;
        if (!directUsable || !congruent || alignedEnd - alignedStart < block) {
            writeFully(cached, data.asByteBuffer(), position);
            return;
        }
        writeFully(cached, data.asSlice(0, alignedStart - position).asByteBuffer(), position);
        MemorySegment middle = data.asSlice(alignedStart - position, alignedEnd - alignedStart);
        try {
            writeFully(direct, middle.asByteBuffer(), alignedStart);
        } catch (IOException e) {
            directUsable = false;
            writeFully(cached, middle.asByteBuffer(), alignedStart);
        }
        writeFully(cached, data.asSlice(alignedEnd - position).asByteBuffer(), alignedEnd);
    }

    /** Writes small bytes through the page cache (the header, the size marker). */
    void write(ByteBuffer bytes, long position) throws IOException {
        writeFully(cached, bytes, position);
    }

    private long roundUp(long position) {
        return (position + block - 1) & -block;
    }

    private static void writeFully(FileChannel channel, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            pos += channel.write(buf, pos);
        }
    }

    /** Flushes the page cache's part to disk ({@code metadata}: also the file's size and allocation). */
    void force(boolean metadata) throws IOException {
        cached.force(metadata);
    }

    @Override
    public void close() throws IOException {
        try (FileChannel c = cached) {
            if (direct != null) {
                direct.close();
            }
        }
    }
}
