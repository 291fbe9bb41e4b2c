package io.fedmerge.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A merge whose output does not fit: written to a tmpfs smaller than the merged model (mounted by the test; skipped
 * where mounting is not allowed). The write path (direct writes, the write-behind thread) must turn the full disk
 * into the CLI's specific message, exit 1, and leave neither the output nor its staging directory behind.
 */
class MergeDiskFullTest {
    @TempDir
    Path dir;

    @Test
    void aFullVolumeFailsTheMergeWithASpecificMessageAndLeavesNothing() throws Exception {
        Path models = GeneratedModels.tiny(dir, 2, 4);
        long modelBytes;
        try (var files = Files.list(models.resolve("base"))) {
            modelBytes = files.filter(p -> p.toString().endsWith(".safetensors")).mapToLong(p -> p.toFile().length())
                    .sum();
        }
        Path volume = Files.createDirectories(dir.resolve("volume"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + modelBytes / 2, "tmpfs",
                volume.toString()).redirectErrorStream(true).start();
        boolean mounted = mount.waitFor(30, TimeUnit.SECONDS) && mount.exitValue() == 0;
        Assumptions.assumeTrue(mounted, "cannot mount a tmpfs here (needs root)");
        try {
            Path cfg = Files.writeString(models.resolve("ties.yml"), """
                    merge_method: ties
                    base_model: base
                    models:
                      - model: hospital-1
                        parameters: {weight: 0.5, density: 0.5}
                      - model: hospital-2
                        parameters: {weight: 0.5, density: 0.5}
                    """);
            CliRun run = CliRun.of("merge", cfg.toString(), volume.resolve("out").toString());
            assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
            assertThat(run.err()).contains("error: cannot write").contains("disk full?");
            try (var left = Files.list(volume)) {
                assertThat(left).as("nothing published, no staging left").isEmpty();
            }
        } finally {
            new ProcessBuilder("umount", volume.toString()).start().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
