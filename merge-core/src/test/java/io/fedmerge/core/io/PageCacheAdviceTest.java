package io.fedmerge.core.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PageCacheAdviceTest {
    private static final int SIZE = 5 * (int) PageCacheAdvice.PIECE / 2;

    @TempDir
    Path dir;

    /** A file all of it in the page cache; skips where advice cannot act. */
    private Path cachedFile() throws IOException {
        byte[] bytes = new byte[SIZE];
        new Random(7).nextBytes(bytes);
        Path file = UncachedFiles.create(dir.resolve("data.bin"), bytes);
        Files.readAllBytes(file);
        return file;
    }

    @Test
    void dontNeedDropsOnlyTheRangeItNames() throws IOException {
        Path file = cachedFile();
        assertThat(UncachedFiles.cached(file, 0, SIZE)).isEqualTo(1.0);

        try (PageCacheAdvice advice = PageCacheAdvice.open(file)) {
            advice.dontNeed(SIZE / 2, SIZE / 2);
        }

        assertThat(UncachedFiles.cached(file, 0, SIZE / 2)).isEqualTo(1.0);
        assertThat(UncachedFiles.cached(file, SIZE / 2, SIZE / 2)).isZero();
    }

    @Test
    void willNeedReadsTheWholeRange() throws IOException {
        Path file = cachedFile();
        try (PageCacheAdvice advice = PageCacheAdvice.open(file)) {
            advice.dontNeed(0, SIZE);
            assertThat(UncachedFiles.cached(file, 0, SIZE)).isZero();

            // more than two pieces: every piece must be read
            advice.willNeed(0, SIZE, () -> false);
        }

        assertThat(UncachedFiles.cached(file, 0, SIZE)).isEqualTo(1.0);
    }

    @Test
    void willNeedAsksForNothingOnceTold() throws IOException {
        Path file = cachedFile();
        try (PageCacheAdvice advice = PageCacheAdvice.open(file)) {
            advice.dontNeed(0, SIZE);
            advice.willNeed(0, SIZE, () -> true);
        }

        assertThat(UncachedFiles.cached(file, 0, SIZE)).isZero();
    }

    @Test
    void aFileThatCannotBeOpenedGetsAdviceThatDoesNothing() {
        try (PageCacheAdvice advice = PageCacheAdvice.open(dir.resolve("missing.bin"))) {
            assertThat(advice.effective()).isFalse();
            advice.willNeed(0, SIZE, () -> false);
            advice.dontNeed(0, SIZE);
        }
    }
}
