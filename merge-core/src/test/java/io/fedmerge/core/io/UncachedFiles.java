package io.fedmerge.core.io;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Test files written, synced and dropped from the page cache; skips the test where that cannot be done or seen. */
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
        assumeTrue(PageResidency.cached(file, 0, bytes.length) == 0, "this file system ignores DONTNEED");
        return file;
    }
}
