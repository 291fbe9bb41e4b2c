package io.fedmerge.core.plan;

import io.fedmerge.core.io.FileRange;
import io.fedmerge.core.io.PageCacheAdvice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the page cache one tensor ahead of a merge, and drops each tensor's inputs once it is merged when the inputs
 * are larger than the memory the page cache can have.
 *
 * <p>Why: a tensor's first pass waits for the disk while the workers have little to do, and its later passes (TIES
 * has three) compute while the disk idles. Asking the kernel for tensor t + 1 when t starts overlaps the two. When
 * the inputs do not fit in memory, what is read ahead must evict something, and the kernel evicts it first (pages
 * read but not yet touched are inactive, the merged tensor's pages, touched by every pass, are active), so some of
 * it was read twice; dropping a tensor's pages as soon as it is merged leaves free memory for the reads ahead. Inputs
 * that fit stay cached, so a second merge of the same models reads nothing from disk.
 */
final class InputReadAhead implements AutoCloseable {
    /** Each file's share of the read-ahead queue, in turn, so a tensor's first slices arrive in every input first. */
    static final long STEP = 8 << 20;
    private static final Path MEMINFO = Path.of("/proc/meminfo");

    private final ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fedmerge-read-ahead");
        t.setDaemon(true);
        return t;
    });
    private final Map<Path, PageCacheAdvice> advice = new ConcurrentHashMap<>();
    private final boolean dropBehind;
    /** Index of the last tensor merged; reading ahead for it (or an earlier one) is pointless. */
    private volatile int merged = -1;

    InputReadAhead(boolean dropBehind) {
        this.dropBehind = dropBehind;
    }

    /** Drops behind when {@code inputBytes} exceed the memory available to the page cache now. */
    static InputReadAhead forInputs(long inputBytes) {
        OptionalLong available = memoryAvailable();
        return new InputReadAhead(available.isPresent() && inputBytes > available.getAsLong());
    }

    boolean dropsBehind() {
        return dropBehind;
    }

    /** Starts reading the inputs of tensor number {@code tensor} in the background. */
    void ahead(int tensor, List<FileRange> ranges) {
        reader.execute(() -> read(tensor, ranges));
    }

    /** Tensor number {@code tensor} is merged: stop reading ahead for it, and drop its inputs if dropping behind. */
    void merged(int tensor, List<FileRange> ranges) {
        merged = tensor;
        if (dropBehind) {
            ranges.forEach(r -> adviceFor(r.file()).dontNeed(r.offset(), r.length()));
        }
    }

    private void read(int tensor, List<FileRange> ranges) {
        long longest = ranges.stream().mapToLong(FileRange::length).max().orElse(0);
        for (long at = 0; at < longest && merged < tensor; at += STEP) {
            for (FileRange r : ranges) {
                if (at < r.length()) {
                    adviceFor(r.file()).willNeed(r.offset() + at, Math.min(STEP, r.length() - at),
                            () -> merged >= tensor);
                }
            }
        }
    }

    private PageCacheAdvice adviceFor(Path file) {
        return advice.computeIfAbsent(file, PageCacheAdvice::open);
    }

    @Override
    public void close() {
        merged = Integer.MAX_VALUE;
        reader.shutdownNow();
        try {
            // a queued advice call returns within one 128 KiB request; close the descriptors after it
            reader.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        advice.values().forEach(PageCacheAdvice::close);
    }

    /** MemAvailable of /proc/meminfo: free memory plus what the kernel can reclaim without swapping. */
    static OptionalLong memoryAvailable() {
        try {
            for (String line : Files.readAllLines(MEMINFO)) {
                if (line.startsWith("MemAvailable:")) {
                    return OptionalLong.of(Long.parseLong(line.replaceAll("\\D", "")) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: no basis for dropping anything
        }
        return OptionalLong.empty();
    }
}
