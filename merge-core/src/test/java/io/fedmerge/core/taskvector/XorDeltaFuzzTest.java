package io.fedmerge.core.taskvector;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.FileTrees;
import io.fedmerge.core.io.SafetensorsWriter;
import io.fedmerge.core.io.TensorSpec;
import io.fedmerge.core.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Hostile fedmerge-xor-v1 uploads against a small base: decoded, or refused with a {@link FedmergeException}
 * naming the problem; any other exception, a hang, or an allocation beyond the fuzzing JVM's -Xmx1g is a finding.
 * The seeds are small valid files for this base (bf16 with one f32 tensor) and damaged copies of them.
 */
class XorDeltaFuzzTest {
    static Path dir;
    static Checkpoint base;

    @BeforeAll
    static void writeBase() throws IOException {
        dir = Files.createTempDirectory("fedmerge-xor-fuzz");
        base = Checkpoint.open(writeModel(dir.resolve("base.safetensors"), 0));
    }

    /** Two tensors, [4, 6] bf16 and [5] f32, with values from {@code shift}. */
    static Path writeModel(Path file, float shift) {
        List<TensorSpec> specs = List.of(new TensorSpec("w", DType.BF16, new long[] {4, 6}),
                new TensorSpec("n", DType.F32, new long[] {5}));
        try (SafetensorsWriter w = new SafetensorsWriter(file, specs, Map.of("format", "pt"))) {
            for (TensorSpec s : specs) {
                float[] v = new float[(int) s.elementCount()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) Math.sin(i + 1) * 0.02f + shift * (i % 3);
                }
                w.write(s.name(), 0, v, v.length);
            }
            w.sync();
        }
        return file;
    }

    @AfterAll
    static void deleteDir() {
        base.close();
        FileTrees.deleteRecursively(dir);
    }

    @FuzzTest(maxDuration = "60s")
    void upload(@NotNull byte[] bytes) throws IOException {
        Path in = Files.write(dir.resolve("input.fmxor"), bytes);
        Path out = dir.resolve("decoded.safetensors");
        try {
            new XorDeltaDecoder().decode(base, in, out);
        } catch (FedmergeException expected) {
            // refused, with a message
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
