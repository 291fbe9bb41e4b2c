package io.fedmerge.core.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import java.nio.file.Path;

/** Hostile merge configs: parsed, or refused with a {@link ConfigException} naming the key; nothing else. */
class MergeConfigFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void yaml(@NotNull String text) {
        try {
            MergeConfigParser.parse(text, Path.of("/nonexistent/fuzz"));
        } catch (ConfigException expected) {
            // refused, with a message
        }
    }
}
