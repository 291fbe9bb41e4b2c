package io.fedmerge.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.io.Checkpoint;
import java.nio.file.Path;

/** The tiny generated model families the CLI tests merge, and how they read tensors back. */
final class GeneratedModels {
    private GeneratedModels() {}

    /** `fedmerge generate --preset tiny` into {@code dir}/m with these variants and seed (and any extra options). */
    static Path tiny(Path dir, int variants, int seed, String... extra) {
        Path models = dir.resolve("m");
        String[] args = {"generate", "--out", models.toString(), "--preset", "tiny", "--variants",
            String.valueOf(variants), "--seed", String.valueOf(seed)};
        String[] all = java.util.Arrays.copyOf(args, args.length + extra.length);
        System.arraycopy(extra, 0, all, args.length, extra.length);
        CliRun r = CliRun.of(all);
        assertThat(r.exitCode()).as(r.err()).isZero();
        return models;
    }

    /** A whole tensor as float32 (tiny models only). */
    static float[] read(Checkpoint c, String name) {
        assertThat(c.contains(name)).as(name).isTrue();
        float[] v = new float[(int) c.info(name).elementCount()];
        c.readFloats(name, 0, v.length, v);
        return v;
    }
}
