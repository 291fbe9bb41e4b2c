package io.fedmerge.edge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.core.FedmergeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Secrets come from a file or the environment; the command line still works but is the last resort. */
class SecretInputTest {
    @TempDir
    Path dir;

    @Test
    void aFileWinsOverTheEnvironmentAndIsTrimmed() throws Exception {
        Path f = Files.writeString(dir.resolve("token"), "  fmt_from-file \n");
        assertThat(SecretInput.resolve(null, f, "T", "--token", Map.of("T", "fmt_env"))).isEqualTo("fmt_from-file");
    }

    @Test
    void theEnvironmentIsUsedWhenNoOptionIsGiven() {
        assertThat(SecretInput.resolve(null, null, "T", "--token", Map.of("T", " fmt_env "))).isEqualTo("fmt_env");
        assertThat(SecretInput.resolve(null, null, "T", "--token", Map.of())).isNull();
        assertThat(SecretInput.resolve(null, null, "T", "--token", Map.of("T", " "))).isNull();
    }

    @Test
    void aCommandLineValueStillWorks() {
        assertThat(SecretInput.resolve("fmt_cli", null, "T", "--token", Map.of("T", "fmt_env"))).isEqualTo("fmt_cli");
    }

    @Test
    void badFilesAndBothOptionsAreClearErrors() throws Exception {
        Path two = Files.writeString(dir.resolve("two"), "a\nb\n");
        assertThatThrownBy(() -> SecretInput.resolve(null, two, "T", "--token", Map.of()))
                .isInstanceOf(FedmergeException.class).hasMessageContaining("alone on one line");
        assertThatThrownBy(() -> SecretInput.resolve(null, dir.resolve("missing"), "T", "--token", Map.of()))
                .hasMessageContaining("cannot read --token-file");
        assertThatThrownBy(() -> SecretInput.resolve("x", two, "T", "--token", Map.of()))
                .hasMessageContaining("give --token or --token-file, not both");
    }
}
