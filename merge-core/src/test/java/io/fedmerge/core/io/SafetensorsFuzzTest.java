package io.fedmerge.core.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Hostile safetensors: whatever the bytes, the reader either opens the file or refuses it with an
 * {@link InvalidSafetensorsException}; any other exception, a hang or an allocation beyond the header cap (the
 * fuzzing JVM has -Xmx1g) is a finding. ./run-tests replays the saved inputs; JAZZER_FUZZ=1 fuzzes.
 */
class SafetensorsFuzzTest {
    static Path dir;

    @BeforeAll
    static void createDir() throws IOException {
        dir = Files.createTempDirectory("fedmerge-fuzz");
    }

    @AfterAll
    static void deleteDir() {
        FileTrees.deleteRecursively(dir);
    }

    @FuzzTest(maxDuration = "60s")
    void headerBytes(@NotNull byte[] input) {
        // the first 8 bytes (little-endian, below 2^40) are the data section's size, the rest is the header: the
        // layout of a file without its data, so seeds are easy to write by hand
        if (input.length < 8) {
            return;
        }
        long dataSize = java.nio.ByteBuffer.wrap(input, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong()
                & ((1L << 40) - 1);
        byte[] header = java.util.Arrays.copyOfRange(input, 8, input.length);
        try {
            SafetensorsHeader.parse(header, dataSize, Path.of("fuzz.safetensors"));
        } catch (InvalidSafetensorsException expected) {
            // a refusal with a message is the contract
        }
    }

    @FuzzTest(maxDuration = "60s")
    void wholeFile(@NotNull byte[] bytes) throws IOException {
        Path file = dir.resolve("input.safetensors");
        Files.write(file, bytes);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorInfo t : f.tensors()) {
                if (t.elementCount() < 0) {
                    throw new IllegalStateException("negative element count accepted for " + t.name());
                }
            }
        } catch (InvalidSafetensorsException expected) {
            // refused, with a message
        } catch (UncheckedIOException e) {
            throw new IllegalStateException("a bad file must be refused as invalid, not as an I/O failure", e);
        }
    }
}
