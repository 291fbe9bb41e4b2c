package io.fedmerge.core.io;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Test files written, synced and dropped from the page cache (skipping the test where that cannot be done or seen),
 * and how much of a file range is cached.
 */
public final class UncachedFiles {
    private UncachedFiles() {}

    /** A new file of {@code bytes}, none of it cached (synced first: only clean pages can be dropped). */
    public static Path create(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes));
            ch.force(true);
        }
        try (PageCacheAdvice advice = PageCacheAdvice.open(file)) {
            assumeTrue(advice.effective(), "posix_fadvise is not available here");
            advice.dontNeed(0, bytes.length);
        }
        // tmpfs keeps its pages whatever the advice: nothing to observe there
        assumeTrue(cached(file, 0, bytes.length) == 0, "this file system ignores DONTNEED");
        return file;
    }

    /** Fraction (0 to 1) of the pages of {@code [offset, offset + length)} of {@code file} in the page cache. */
    public static double cached(Path file, long offset, long length) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            double fraction = PageResidency.fraction(ch.map(FileChannel.MapMode.READ_ONLY, offset, length, arena));
            if (fraction < 0) {
                throw new IllegalStateException("mincore(2) is not available here");
            }
            return fraction;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
