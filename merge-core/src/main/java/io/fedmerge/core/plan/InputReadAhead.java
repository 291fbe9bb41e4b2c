package io.fedmerge.core.plan;

import io.fedmerge.core.io.FileRange;
import io.fedmerge.core.io.PageCacheAdvice;
import io.fedmerge.core.io.ProcFields;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the page cache ahead of a merge that walks its tensors in order: while tensor t is merged, the inputs of the
 * tensors after it are read in (the next one at least, more up to a window of bytes); and when the inputs are larger
 * than the memory the page cache can have, each tensor's inputs are dropped once it is merged.
 *
 * <p>Why: a tensor's first pass waits for the disk while the workers have little to do, and its later passes (TIES
 * has three) compute while the disk idles. Reading the next tensors during them overlaps the two. The window is in
 * bytes, not tensors, because tensor sizes differ by orders of magnitude: a 32,000-row embedding takes seconds to
 * merge while the norm after it is read in a millisecond. When the inputs do not fit in memory, what is read ahead
 * must evict something, and the kernel evicts it first (pages read but not yet touched are inactive, the merged
 * tensors', touched by every pass, active), so some of it was read twice; dropping a tensor's pages as soon as it is
 * merged leaves free memory for the reads ahead. Inputs that fit stay cached, so a second merge of the same models
 * reads nothing from disk.
 */
final class InputReadAhead implements AutoCloseable {
    /** Each file's share of the read-ahead queue, in turn, so a tensor's first slices arrive in every input first. */
    static final long STEP = 8 << 20;
    /** The window beyond the tensor being merged, when the inputs fit in memory: at most a quarter of it. */
    static final long MAX_WINDOW = 1L << 30;
    private static final Path MEMINFO = Path.of("/proc/meminfo");

    private final ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fedmerge-read-ahead");
        t.setDaemon(true);
        return t;
    });
    private final Map<Path, PageCacheAdvice> advice = new ConcurrentHashMap<>();
    /** Per tensor, in merge order: where its inputs are. */
    private final List<List<FileRange>> inputs;
    private final long window;
    private final boolean dropBehind;
    /** Every input was cached at the start: nothing is read ahead. */
    private boolean idle;
    /** Tensors before this one have been handed to the reader. */
    private int requested;
    /** Index of the last tensor merged; reading ahead for it (or an earlier one) is pointless. */
    private volatile int merged = -1;

    InputReadAhead(List<List<FileRange>> inputs, long window, boolean dropBehind) {
        this.inputs = List.copyOf(inputs);
        this.window = window;
        this.dropBehind = dropBehind;
    }

    /**
     * Drops behind when the inputs exceed the memory available to the page cache now, and then reads only the next
     * tensor ahead: such a merge waits for the disk, and a deeper window only added work competing with the
     * workers (TIES on 28.3 GB of cold inputs, six runs each: mean 42.1 s one tensor ahead, 45.6 s with a window,
     * 3–5 s more system time). Inputs that fit are read up to {@link #MAX_WINDOW} ahead: that merge waits for the
     * CPU, and reading past a long tensor (an embedding) into the next ones uses the idle disk (TIES on 9.1 GB of
     * cold inputs: mean 25.1 s one tensor ahead, 21.0 s with the window; docs/BENCHMARKS.md).
     */
    static InputReadAhead forInputs(List<List<FileRange>> inputs) {
        long total = inputs.stream().mapToLong(InputReadAhead::bytes).sum();
        OptionalLong available = memoryAvailable();
        boolean dropBehind = available.isPresent() && total > available.getAsLong();
        long window = dropBehind ? 0 : Math.min(MAX_WINDOW, available.orElse(4 * MAX_WINDOW) / 4);
        InputReadAhead readAhead = new InputReadAhead(inputs, window, dropBehind);
        // a second merge of the same models: nothing to read
        readAhead.idle = !dropBehind && readAhead.allCached();
        return readAhead;
    }

    /** Asked through the reader's own file handles, so each input file is opened once. */
    private boolean allCached() {
        return inputs.stream().flatMap(List::stream)
                .allMatch(r -> adviceFor(r.file()).allCached(r.offset(), r.length()));
    }

    boolean dropsBehind() {
        return dropBehind;
    }

    long window() {
        return window;
    }

    /** Whether it reads anything at all (not when every input was cached from the start). */
    boolean active() {
        return !idle;
    }

    /**
     * Tensor number {@code tensor} is about to be merged: make sure it and the tensors after it are being read, up
     * to the window's bytes beyond it (always at least the next tensor).
     */
    void starting(int tensor) {
        if (idle) {
            return;
        }
        long ahead = 0;
        for (int next = tensor + 1; next < requested; next++) {
            ahead += bytes(inputs.get(next));
        }
        while (requested < inputs.size()
                && (requested <= tensor + 1 || ahead + bytes(inputs.get(requested)) <= window)) {
            int index = requested++;
            if (index > tensor) {
                ahead += bytes(inputs.get(index));
            }
            reader.execute(() -> read(index, inputs.get(index)));
        }
    }

    /** Tensor number {@code tensor} is merged: stop reading ahead for it, and drop its inputs if dropping behind. */
    void merged(int tensor) {
        merged = tensor;
        if (dropBehind) {
            inputs.get(tensor).forEach(r -> adviceFor(r.file()).dontNeed(r.offset(), r.length()));
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

    private static long bytes(List<FileRange> ranges) {
        return ranges.stream().mapToLong(FileRange::length).sum();
    }

    @Override
    public void close() {
        merged = Integer.MAX_VALUE;
        reader.shutdownNow();
        try {
            // a running piece returns within one 8 MiB read; close the files after it
            reader.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        advice.values().forEach(PageCacheAdvice::close);
    }

    /** MemAvailable of /proc/meminfo: free memory plus what the kernel can reclaim without swapping. */
    static OptionalLong memoryAvailable() {
        return ProcFields.kilobytes(MEMINFO, "MemAvailable:");
    }
}
