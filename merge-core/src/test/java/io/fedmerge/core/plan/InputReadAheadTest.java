package io.fedmerge.core.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fedmerge.core.io.FileRange;
import io.fedmerge.core.io.PageCacheAdvice;
import io.fedmerge.core.io.PageResidency;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputReadAheadTest {
    private static final int SIZE = 3 * (int) InputReadAhead.STEP;

    @TempDir
    Path dir;

    /** Two synced input files, none of them cached; skips where the page cache cannot be advised or observed. */
    private List<Path> uncachedInputs() throws IOException {
        List<Path> files = List.of(dir.resolve("base.bin"), dir.resolve("tuned.bin"));
        for (Path f : files) {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(SIZE), 0);
                ch.force(true);
            }
            try (PageCacheAdvice advice = PageCacheAdvice.open(f)) {
                assumeTrue(advice.effective(), "posix_fadvise is not available here");
                advice.dontNeed(0, SIZE);
            }
            assumeTrue(PageResidency.cached(f, 0, SIZE) == 0, "this file system ignores DONTNEED");
        }
        return files;
    }

    @Test
    void readsEveryRangeOfTheNextTensorAheadOfTheMerge() throws IOException {
        List<Path> files = uncachedInputs();
        // tensor 1 lies in the second half of the base file and in the first third of the fine-tune
        List<FileRange> next = List.of(new FileRange(files.get(0), SIZE / 2, SIZE / 2),
                new FileRange(files.get(1), 0, SIZE / 3));

        try (InputReadAhead readAhead = new InputReadAhead(false)) {
            readAhead.ahead(1, next);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(PageResidency.cached(files.get(0), SIZE / 2, SIZE / 2)).isEqualTo(1.0);
                assertThat(PageResidency.cached(files.get(1), 0, SIZE / 3)).isEqualTo(1.0);
            });
        }
    }

    @Test
    void doesNotReadAheadForATensorAlreadyMerged() throws IOException {
        List<Path> files = uncachedInputs();

        try (InputReadAhead readAhead = new InputReadAhead(false)) {
            readAhead.merged(1, List.of());
            readAhead.ahead(1, List.of(new FileRange(files.get(0), 0, SIZE)));
            readAhead.ahead(2, List.of(new FileRange(files.get(1), 0, SIZE)));
            // one reader, in order: once tensor 2 is in, the request for tensor 1 has been dealt with
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(PageResidency.cached(files.get(1), 0, SIZE)).isEqualTo(1.0));
        }
        assertThat(PageResidency.cached(files.get(0), 0, SIZE)).isZero();
    }

    @Test
    void dropsAMergedTensorsInputsOnlyWhenTheyDoNotFitInMemory() throws IOException {
        List<Path> files = uncachedInputs();
        List<FileRange> tensor = List.of(new FileRange(files.get(0), 0, SIZE), new FileRange(files.get(1), 0, SIZE));
        for (Path f : files) {
            Files.readAllBytes(f);
        }

        try (InputReadAhead keeping = new InputReadAhead(false)) {
            keeping.merged(0, tensor);
        }
        assertThat(PageResidency.cached(files.get(0), 0, SIZE)).isEqualTo(1.0);
        assertThat(PageResidency.cached(files.get(1), 0, SIZE)).isEqualTo(1.0);

        try (InputReadAhead dropping = new InputReadAhead(true)) {
            dropping.merged(0, tensor);
        }
        assertThat(PageResidency.cached(files.get(0), 0, SIZE)).isZero();
        assertThat(PageResidency.cached(files.get(1), 0, SIZE)).isZero();
    }

    @Test
    void dropsBehindOnlyForInputsLargerThanAvailableMemory() {
        assumeTrue(InputReadAhead.memoryAvailable().isPresent(), "no /proc/meminfo here");
        long available = InputReadAhead.memoryAvailable().getAsLong();
        assertThat(available).isPositive();

        try (InputReadAhead small = InputReadAhead.forInputs(1 << 20);
                InputReadAhead huge = InputReadAhead.forInputs(available * 4)) {
            assertThat(small.dropsBehind()).isFalse();
            assertThat(huge.dropsBehind()).isTrue();
        }
    }
}
