package io.fedmerge.core.bench;

import io.fedmerge.core.FedmergeException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Empties the kernel's page cache (Linux, root), so a timed step reads its inputs from the disk as a merge of models
 * larger than memory does. Dirty pages are written first ({@code sync}): only clean pages can be dropped.
 */
final class PageCache {
    private static final Path DROP_CACHES = Path.of("/proc/sys/vm/drop_caches");
    private static final String NEEDS_ROOT = "--cold empties the page cache before each timed step, which needs root"
            + " (it writes 3 to " + DROP_CACHES + "); run the benchmark as root, or without --cold";

    private PageCache() {}

    /** Fails at once, before any work, when this process may not empty the page cache (not root). */
    static void requireDroppable() {
        if (!droppable()) {
            throw new FedmergeException(NEEDS_ROOT);
        }
    }

    static void drop() {
        try {
            Process sync = new ProcessBuilder("sync").inheritIO().start();
            if (!sync.waitFor(10, TimeUnit.MINUTES) || sync.exitValue() != 0) {
                throw new FedmergeException("sync failed before dropping the page cache");
            }
            Files.writeString(DROP_CACHES, "3");
        } catch (IOException e) {
            throw new FedmergeException(NEEDS_ROOT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FedmergeException("interrupted while dropping the page cache", e);
        }
    }

    /**
     * Reads every file directly in each of {@code dirs} once, in name order, as {@code cat} would; returns the bytes
     * read. After {@link #drop} that is a cold read of the inputs; otherwise it leaves them in the page cache.
     */
    static long readAll(List<Path> dirs) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(8 << 20);
        long total = 0;
        for (Path dir : dirs) {
            try (var files = Files.list(dir)) {
                for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                    try (FileChannel ch = FileChannel.open(f)) {
                        for (int n = 0; n >= 0; n = ch.read(buf.clear())) {
                            total += n;
                        }
                    }
                }
            }
        }
        return total;
    }

    /** Whether this process may drop the page cache. */
    static boolean droppable() {
        return Files.isWritable(DROP_CACHES);
    }
}
