package io.fedmerge.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.core.tensor.DType;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Elements read from the file block by block decode exactly as the same elements mapped, in any block order and
 * size; a NaN is reported by the finite checks; a file cut short while open and a range outside the run are refused
 * with messages that say so.
 */
class ReadElementsTest {
    private static final int N = 50_000;

    @TempDir
    Path dir;

    private Path write() {
        Path file = dir.resolve("m.safetensors");
        SplittableRandom random = new SplittableRandom(3);
        float[] values = new float[N];
        for (int i = 0; i < N; i++) {
            values[i] = (float) random.nextGaussian();
        }
        values[31_337] = Float.NaN;
        try (SafetensorsWriter w = new SafetensorsWriter(file, List.of(new TensorSpec("bf", DType.BF16,
                new long[] {N}), new TensorSpec("f", DType.F32, new long[] {N})), Map.of())) {
            w.write("bf", 0, values, N);
            w.write("f", 0, values, N);
            w.sync();
        }
        return file;
    }

    @Test
    void blocksReadDecodeAsTheMappedElements() {
        Path file = write();
        try (SafetensorsFile f = SafetensorsFile.open(file); Arena arena = Arena.ofConfined()) {
            for (String name : new String[] {"bf", "f"}) {
                TensorInfo t = f.tensor(name);
                long first = 1_000;
                int count = 40_000;
                ElementRun read = f.readElements(t, first, count, arena);
                MappedElements mapped = f.mapElements(t, first, count, arena);
                float[] minus = new float[count];
                java.util.Arrays.fill(minus, 0.25f);
                // Backwards, with blocks growing past the buffer already allocated.
                for (int offset = count, len = 7; offset > 0; len = Math.min(2 * len, 16_384)) {
                    int start = Math.max(0, offset - len);
                    int n = offset - start;
                    float[] got = new float[n];
                    float[] want = new float[n];
                    boolean finite = read.decodeFinite(start, n, got);
                    assertThat(finite).as("%s [%d, %d)", name, start, offset)
                            .isEqualTo(mapped.decodeFinite(start, n, want));
                    assertThat(finite).isEqualTo(!(first + start <= 31_337 && 31_337 < first + offset));
                    assertThat(got).as("%s [%d, %d)", name, start, offset).containsExactly(want);
                    read.decodeMinusFinite(start, n, minus, got);
                    mapped.decodeMinusFinite(start, n, minus, want);
                    assertThat(got).containsExactly(want);
                    read.decode(start, n, got);
                    mapped.decode(start, n, want);
                    assertThat(got).containsExactly(want);
                    offset = start;
                }
            }
        }
    }

    @Test
    void aFileCutShortWhileOpenIsAClearError() throws Exception {
        Path file = write();
        try (SafetensorsFile f = SafetensorsFile.open(file); Arena arena = Arena.ofConfined()) {
            TensorInfo t = f.tensor("f");
            ElementRun read = f.readElements(t, 0, N, arena);
            try (FileChannel cut = FileChannel.open(file, StandardOpenOption.WRITE)) {
                cut.truncate(cut.size() - 4 * 1_000);
            }
            float[] dst = new float[2_000];
            read.decode(0, 2_000, dst); // before the cut: still readable
            assertThatThrownBy(() -> read.decode(N - 2_000, 2_000, dst)).isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("cannot read f of").hasMessageContaining("the file ends early");
        }
    }

    /** A worker interrupted mid-merge (a failed or cancelled merge) gets a message that says so, not a stack of I/O. */
    @Test
    void anInterruptedReadSaysItWasInterrupted() {
        Path file = write();
        try (SafetensorsFile f = SafetensorsFile.open(file); Arena arena = Arena.ofConfined()) {
            ElementRun read = f.readElements(f.tensor("f"), 0, N, arena);
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(() -> read.decode(0, 1_000, new float[1_000]))
                        .isInstanceOf(UncheckedIOException.class)
                        .hasMessageContaining("interrupted while reading f of");
            } finally {
                Thread.interrupted();
            }
        }
    }

    @Test
    void rangesOutsideTheTensorOrTheRunAreRefused() {
        Path file = write();
        try (SafetensorsFile f = SafetensorsFile.open(file); Arena arena = Arena.ofConfined()) {
            TensorInfo t = f.tensor("bf");
            assertThatThrownBy(() -> f.readElements(t, N - 10, 11, arena))
                    .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("outside tensor bf");
            ElementRun read = f.readElements(t, 100, 50, arena);
            assertThatThrownBy(() -> read.decode(40, 11, new float[11]))
                    .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("outside a run of 50");
        }
    }
}
