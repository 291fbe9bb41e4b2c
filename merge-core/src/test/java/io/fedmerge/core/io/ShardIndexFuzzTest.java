package io.fedmerge.core.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Hostile model.safetensors.index.json files: read, or refused as invalid; nothing else. */
class ShardIndexFuzzTest {
    static Path dir;

    @BeforeAll
    static void createDir() throws IOException {
        dir = Files.createTempDirectory("fedmerge-fuzz-index");
    }

    @AfterAll
    static void deleteDir() {
        FileTrees.deleteRecursively(dir);
    }

    @FuzzTest(maxDuration = "60s")
    void index(@NotNull byte[] bytes) throws IOException {
        Path file = dir.resolve(Checkpoint.INDEX_FILE);
        Files.write(file, bytes);
        try {
            ShardIndex.read(file);
        } catch (InvalidSafetensorsException expected) {
            // refused, with a message
        }
    }
}
