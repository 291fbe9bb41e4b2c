package io.fedmerge.core.io;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.tensor.DType;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file far larger than the writer's background-flush step (64 MiB), written slice by slice from several threads
 * while flushes run: after sync every element reads back as written.
 */
class SafetensorsWriterTest {
    @TempDir
    Path dir;

    @Test
    void slicesWrittenFromManyThreadsWhileFlushesRunReadBackExactly() throws Exception {
        int tensors = 3;
        int rows = 8192;
        int cols = 2048; // 3 x 8192 x 2048 float32 = 192 MiB: three flush steps at least
        List<TensorSpec> specs = new ArrayList<>();
        for (int t = 0; t < tensors; t++) {
            specs.add(new TensorSpec("t" + t, DType.F32, new long[] {rows, cols}));
        }
        Path file = dir.resolve("big.safetensors");
        try (SafetensorsWriter w = new SafetensorsWriter(file, specs, Map.of());
                ExecutorService pool = Executors.newFixedThreadPool(3)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < tensors; t++) {
                String name = "t" + t;
                int tensor = t;
                done.add(pool.submit(() -> {
                    float[] row = new float[cols];
                    for (int r = rows - 1; r >= 0; r--) { // backwards: flushes see holes filled later
                        for (int c = 0; c < cols; c++) {
                            row[c] = value(tensor, r, c);
                        }
                        w.write(name, (long) r * cols, row, cols);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            w.sync();
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            float[] row = new float[cols];
            for (int t = 0; t < tensors; t++) {
                for (int r = 0; r < rows; r += 97) {
                    f.readFloats(f.tensor("t" + t), (long) r * cols, cols, row);
                    for (int c = 0; c < cols; c += 13) {
                        assertThat(row[c]).as("t%d[%d][%d]", t, r, c).isEqualTo(value(t, r, c));
                    }
                }
            }
        }
    }

    private static float value(int tensor, int row, int col) {
        return tensor * 1e6f + row * 7.0f + col * 0.5f;
    }

    @Test
    void rawBytesPastATensorAreRefused() {
        Path file = dir.resolve("small.safetensors");
        try (SafetensorsWriter w = new SafetensorsWriter(file, List.of(new TensorSpec("a", DType.F32,
                new long[] {2})), Map.of())) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> w.writeRaw("a", 4, ByteBuffer.allocate(8)))
                    .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("past the end of tensor a");
        }
    }
}
