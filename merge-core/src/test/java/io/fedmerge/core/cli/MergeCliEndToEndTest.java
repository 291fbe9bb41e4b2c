package io.fedmerge.core.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Whole merges of generated tiny checkpoints through the CLI, checked against a direct in-memory computation. */
class MergeCliEndToEndTest {
    @TempDir
    static Path dir;

    static Path bf16;
    static Path f32Sharded;

    @BeforeAll
    static void generate() {
        bf16 = dir.resolve("bf16");
        f32Sharded = dir.resolve("f32");
        assertThat(CliRun.of("generate", "--out", bf16.toString(), "--preset", "tiny", "--variants", "3",
                "--seed", "5").exitCode()).isZero();
        assertThat(CliRun.of("generate", "--out", f32Sharded.toString(), "--preset", "tiny", "--variants", "3",
                "--seed", "6", "--dtype", "f32", "--shard-size", "100KB").exitCode()).isZero();
        assertThat(f32Sharded.resolve("base/model.safetensors.index.json")).exists();
    }

    static Path config(Path models, String name, String body) throws Exception {
        Path c = models.resolve(name + ".yml");
        Files.writeString(c, body);
        return c;
    }

    static String threeModels(String method, String perModel, String extra) {
        return "merge_method: " + method + "\nbase_model: base\nmodels:\n"
                + "  - model: hospital-1\n    parameters: {weight: 0.5" + perModel + "}\n"
                + "  - model: hospital-2\n    parameters: {weight: 0.3" + perModel + "}\n"
                + "  - model: hospital-3\n    parameters: {weight: 0.2" + perModel + "}\n" + extra;
    }

    @ParameterizedTest
    @ValueSource(strings = {"linear", "task_arithmetic", "ties"})
    void mergesEveryTensorAndMatchesTheDirectComputation(String method) throws Exception {
        for (Path models : List.of(bf16, f32Sharded)) {
            String perModel = method.equals("ties") ? ", density: 0.6" : "";
            Path cfg = config(models, method, threeModels(method, perModel, ""));
            Path out = dir.resolve("out-" + method + "-" + models.getFileName());
            CliRun run = CliRun.of("merge", cfg.toString(), out.toString(), "--threads", "2", "--json");
            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.out()).contains("\"method\" : \"" + method + "\"");
            assertMatchesReference(models, out, method);
            assertThat(out.resolve("config.json")).exists();
            assertThat(out.resolve("tokenizer_config.json")).exists();
            assertThat(out.resolve("mergekit_config.yml")).exists();
        }
    }

    private static void assertMatchesReference(Path models, Path out, String method) {
        double[] w = {0.5, 0.3, 0.2};
        try (Checkpoint base = Checkpoint.open(models.resolve("base"));
                Checkpoint merged = Checkpoint.open(out);
                Checkpoint a = Checkpoint.open(models.resolve("hospital-1"));
                Checkpoint b = Checkpoint.open(models.resolve("hospital-2"));
                Checkpoint c = Checkpoint.open(models.resolve("hospital-3"))) {
            assertThat(merged.tensorNames()).containsExactlyInAnyOrderElementsOf(base.tensorNames());
            for (String name : base.tensorNames()) {
                TensorInfo bi = base.info(name);
                TensorInfo mi = merged.info(name);
                assertThat(mi.shape()).containsExactly(bi.shape());
                assertThat(mi.dtype()).isEqualTo(bi.dtype());
                float[] theta0 = read(base, name);
                float[][] deltas = {delta(read(a, name), theta0), delta(read(b, name), theta0),
                        delta(read(c, name), theta0)};
                float[] expected = switch (method) {
                    case "linear", "task_arithmetic" -> ReferenceMerges.weightedAverage(theta0, deltas, w);
                    case "ties" -> ReferenceMerges.ties(theta0, deltas, w, 0.6);
                    default -> throw new IllegalArgumentException(method);
                };
                float[] actual = read(merged, name);
                for (int i = 0; i < actual.length; i++) {
                    assertThat(Float.isFinite(actual[i])).isTrue();
                    float want = bi.dtype() == DType.BF16 ? io.fedmerge.core.tensor.Bf16.toFloat(
                            io.fedmerge.core.tensor.Bf16.fromFloat(expected[i])) : expected[i];
                    // float32 arithmetic vs the double reference may land on either side of a bf16 rounding step
                    double tolerance = 1e-6 * Math.max(1, Math.abs(want))
                            + (bi.dtype() == DType.BF16 ? Math.abs(want) / 64 : 0);
                    assertThat((double) actual[i]).as("%s[%d]", name, i).isCloseTo(want, within(tolerance));
                }
            }
        }
    }

    static float[] read(Checkpoint c, String name) {
        float[] v = new float[(int) c.info(name).elementCount()];
        c.readFloats(name, 0, v.length, v);
        return v;
    }

    static float[] delta(float[] theta, float[] base) {
        float[] d = new float[base.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = theta[i] - base[i];
        }
        return d;
    }

    @Test
    void outputIsByteIdenticalForAnyThreadCountAndSlicing() throws Exception {
        Path cfg = config(bf16, "ties-det", threeModels("ties", ", density: 0.4", ""));
        Path one = dir.resolve("det-1");
        Path many = dir.resolve("det-4");
        assertThat(CliRun.of("merge", cfg.toString(), one.toString(), "--threads", "1").exitCode()).isZero();
        assertThat(CliRun.of("merge", cfg.toString(), many.toString(), "--threads", "4", "--slice-elements", "100")
                .exitCode()).isZero();
        assertThat(Files.readAllBytes(one.resolve("model.safetensors")))
                .isEqualTo(Files.readAllBytes(many.resolve("model.safetensors")));
    }

    @Test
    void writesShardsAndAnIndexWhenAskedTo() throws Exception {
        Path cfg = config(bf16, "ta-sharded", threeModels("task_arithmetic", "", ""));
        Path out = dir.resolve("sharded-out");
        CliRun run = CliRun.of("merge", cfg.toString(), out.toString(), "--shard-size", "50KB");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(out.resolve("model.safetensors.index.json")).exists();
        try (Checkpoint merged = Checkpoint.open(out); Checkpoint base = Checkpoint.open(bf16.resolve("base"))) {
            assertThat(merged.files().size()).isGreaterThan(1);
            assertThat(merged.tensorNames()).containsExactlyInAnyOrderElementsOf(base.tensorNames());
        }
    }

    @Test
    void inspectPrintsTensorsAndDigest() {
        CliRun run = CliRun.of("inspect", bf16.resolve("base").toString(), "--json");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("\"digest\"", "model.layers.1.mlp.down_proj.weight", "\"BF16\"");
    }
}
