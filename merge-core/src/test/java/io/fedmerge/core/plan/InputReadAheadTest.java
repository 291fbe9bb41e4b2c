package io.fedmerge.core.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fedmerge.core.io.FileRange;
import io.fedmerge.core.io.UncachedFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputReadAheadTest {
    private static final int SIZE = 3 * (int) InputReadAhead.STEP;

    @TempDir
    Path dir;

    /** Input files, none of them cached; skips where the page cache cannot be advised or observed. */
    private List<Path> uncachedFiles(int count) throws IOException {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            files.add(UncachedFiles.create(dir.resolve("input-" + i + ".bin"), new byte[SIZE]));
        }
        return files;
    }

    /** Tensor i's inputs are the whole of file i. */
    private static List<List<FileRange>> oneFilePerTensor(List<Path> files) {
        return files.stream().map(f -> List.of(new FileRange(f, 0, SIZE))).toList();
    }

    private static double cached(Path file) {
        return UncachedFiles.cached(file, 0, SIZE);
    }

    private static void awaitCached(Path file) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(cached(file)).isEqualTo(1.0));
    }

    @Test
    void readsTheTensorsAfterTheCurrentOneUpToTheWindow() throws IOException {
        List<Path> files = uncachedFiles(4);

        try (InputReadAhead readAhead = new InputReadAhead(oneFilePerTensor(files), 2L * SIZE, false)) {
            readAhead.starting(0);
            awaitCached(files.get(0));
            awaitCached(files.get(1));
            awaitCached(files.get(2));
            assertThat(cached(files.get(3))).as("beyond the window").isZero();

            readAhead.merged(0);
            readAhead.starting(1);
            awaitCached(files.get(3));
        }
    }

    @Test
    void alwaysReadsTheNextTensorHoweverLargeItIs() throws IOException {
        List<Path> files = uncachedFiles(3);

        try (InputReadAhead readAhead = new InputReadAhead(oneFilePerTensor(files), 0, false)) {
            readAhead.starting(0);
            awaitCached(files.get(1));
        }
        assertThat(cached(files.get(2))).isZero();
    }

    @Test
    void readsEveryRangeOfATensorAndNothingOutsideItsFiles() throws IOException {
        List<Path> files = uncachedFiles(3);
        // tensor 1 lies in the second half of file 0 and in the first third of file 1
        List<List<FileRange>> inputs = List.of(List.of(), List.of(new FileRange(files.get(0), SIZE / 2, SIZE / 2),
                new FileRange(files.get(1), 0, SIZE / 3)));

        try (InputReadAhead readAhead = new InputReadAhead(inputs, 0, false)) {
            readAhead.starting(0);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(UncachedFiles.cached(files.get(0), SIZE / 2, SIZE / 2)).isEqualTo(1.0);
                assertThat(UncachedFiles.cached(files.get(1), 0, SIZE / 3)).isEqualTo(1.0);
            });
        }
        assertThat(cached(files.get(2))).isZero();
    }

    @Test
    void doesNotReadAheadForATensorAlreadyMerged() throws IOException {
        List<Path> files = uncachedFiles(3);

        try (InputReadAhead readAhead = new InputReadAhead(oneFilePerTensor(files), 0, false)) {
            readAhead.merged(1);
            readAhead.starting(0);
            readAhead.starting(1);
            // one reader, in order: once tensor 2 is in, the requests for tensors 0 and 1 have been dealt with
            awaitCached(files.get(2));
        }
        assertThat(cached(files.get(0))).isZero();
        assertThat(cached(files.get(1))).isZero();
    }

    @Test
    void dropsAMergedTensorsInputsOnlyWhenTheyDoNotFitInMemory() throws IOException {
        List<Path> files = uncachedFiles(2);
        List<List<FileRange>> inputs = List.of(files.stream().map(f -> new FileRange(f, 0, SIZE)).toList());
        for (Path f : files) {
            Files.readAllBytes(f);
        }

        try (InputReadAhead keeping = new InputReadAhead(inputs, 0, false)) {
            keeping.merged(0);
        }
        assertThat(cached(files.get(0))).isEqualTo(1.0);
        assertThat(cached(files.get(1))).isEqualTo(1.0);

        try (InputReadAhead dropping = new InputReadAhead(inputs, 0, true)) {
            dropping.merged(0);
        }
        assertThat(cached(files.get(0))).isZero();
        assertThat(cached(files.get(1))).isZero();
    }

    @Test
    void inputsAllCachedAtTheStartAreNotReadAhead() throws IOException {
        List<Path> files = uncachedFiles(2);
        List<List<FileRange>> inputs = oneFilePerTensor(files);
        try (InputReadAhead cold = InputReadAhead.forInputs(inputs)) {
            assertThat(cold.active()).isTrue();
        }

        for (Path f : files) {
            Files.readAllBytes(f);
        }
        try (InputReadAhead warm = InputReadAhead.forInputs(inputs)) {
            assertThat(warm.active()).isFalse();
            warm.starting(0);
            warm.merged(0);
        }
        assertThat(cached(files.get(0))).isEqualTo(1.0);
    }

    @Test
    void inputsLargerThanAvailableMemoryAreDroppedBehindAndReadOnlyOneTensorAhead() {
        assumeTrue(InputReadAhead.memoryAvailable().isPresent(), "no /proc/meminfo here");
        long available = InputReadAhead.memoryAvailable().getAsLong();
        assertThat(available).isPositive();
        Path file = dir.resolve("never-opened.bin");

        try (InputReadAhead small = InputReadAhead.forInputs(List.of(List.of(new FileRange(file, 0, 1 << 20))));
                InputReadAhead huge = InputReadAhead.forInputs(List.of(List.of(new FileRange(file, 0, available)),
                        List.of(new FileRange(file, 0, available))))) {
            assertThat(small.dropsBehind()).isFalse();
            assertThat(small.window()).isPositive().isLessThanOrEqualTo(InputReadAhead.MAX_WINDOW);
            assertThat(huge.dropsBehind()).isTrue();
            assertThat(huge.window()).isZero();
        }
    }
}
