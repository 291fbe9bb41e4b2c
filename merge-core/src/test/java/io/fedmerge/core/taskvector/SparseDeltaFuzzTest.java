package io.fedmerge.core.taskvector;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile fedmerge-sparse-v1 uploads against the small base of {@link XorDeltaFuzzTest}: decoded, or refused with a
 * {@link FedmergeException} naming the problem; any other exception, a hang, or an allocation beyond the fuzzing
 * JVM's -Xmx1g is a finding. The seeds are valid files for this base and damaged copies of them.
 */
class SparseDeltaFuzzTest {
    static Path dir;
    static Checkpoint base;

    @BeforeAll
    static void writeBase() throws IOException {
        dir = Files.createTempDirectory("fedmerge-sparse-fuzz");
        base = Checkpoint.open(XorDeltaFuzzTest.writeModel(dir.resolve("base.safetensors"), 0));
    }

    @AfterAll
    static void deleteDir() {
        base.close();
        FileTrees.deleteRecursively(dir);
    }

    @FuzzTest(maxDuration = "60s")
    void upload(@NotNull byte[] bytes) throws IOException {
        Path in = Files.write(dir.resolve("input.fmsparse"), bytes);
        Path out = dir.resolve("decoded.safetensors");
        try {
            new SparseDeltaDecoder().decode(base, in, out);
        } catch (FedmergeException expected) {
            // refused, with a message
        } finally {
            Files.deleteIfExists(out);
        }
    }

    @Test
    void theValidSeedDecodes() throws IOException {
        // the corpus must hold a file that passes, or the fuzzer would only ever explore the first refusal
        Path seed = Path.of("src/test/resources/io/fedmerge/core/taskvector/SparseDeltaFuzzTestInputs/upload/valid");
        Path out = dir.resolve("seed.safetensors");
        new SparseDeltaDecoder().decode(base, seed, out);
        assertThat(out).exists();
    }
}
