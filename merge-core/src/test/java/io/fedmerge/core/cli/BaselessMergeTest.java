package io.fedmerge.core.cli;

import static io.fedmerge.core.cli.GeneratedModels.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import io.fedmerge.core.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BiFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Configs without {@code base_model}, from mergekit's tests/test_basic_merges.py ({@code test_linear_merge},
 * {@code test_gpt2_copy}, {@code test_passthrough_scale}) and its nuslerp and karcher docs, each checked element by
 * element against the formula computed here in double precision from the input checkpoints.
 */
class BaselessMergeTest {
    @TempDir
    static Path dir;

    static Path models;

    @BeforeAll
    static void generate() {
        models = GeneratedModels.tiny(dir, 2, 21);
    }

    @Test
    void linearIsTheWeightedAverageOfTheModels() throws Exception {
        Path out = merge("linear", twoModels("linear", "{weight: 0.6}", "{weight: 0.4}", ""));
        compare(out, (a, b) -> {
            double[] e = new double[a.length];
            for (int j = 0; j < a.length; j++) {
                e[j] = (0.6 * a[j] + 0.4 * b[j]) / 1.0;
            }
            return e;
        });
    }

    @Test
    void passthroughCopiesItsOneModelAndScalesWhatItsFilterNames() throws Exception {
        Path copy = merge("copy", "merge_method: passthrough\nmodels:\n  - model: hospital-1\ndtype: float32\n");
        compare(copy, (a, b) -> toDouble(a));
        Path scaled = merge("scaled", "merge_method: passthrough\nmodels:\n  - model: hospital-1\n"
                + "    parameters:\n      scale:\n        - filter: o_proj\n          value: 0\n        - value: 1\n"
                + "dtype: float32\n");
        try (Checkpoint c = Checkpoint.open(scaled)) {
            assertThat(c.tensorNames()).anySatisfy(n -> assertThat(n).contains("o_proj"));
            for (String n : c.tensorNames()) {
                double[] v = toDouble(read(c, n));
                if (n.contains("o_proj")) {
                    assertThat(v).as(n).containsOnly(0.0, -0.0); // 0 × a negative weight is -0.0
                } else {
                    assertThat(v).as(n).isEqualTo(toDouble(readModel(models.resolve("hospital-1"), n)));
                }
            }
        }
    }

    @Test
    void nuslerpWithoutABaseIsTheSlerpOfTheTwoModels() throws Exception {
        Path out = merge("nuslerp", twoModels("nuslerp", "{weight: 0.7}", "{weight: 0.3}", ""));
        compare(out, (a, b) -> {
            double t = 0.3 / (0.7 + 0.3);
            double omega = Math.acos(dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b)));
            double ca = Math.sin((1 - t) * omega) / Math.sin(omega);
            double cb = Math.sin(t * omega) / Math.sin(omega);
            double[] e = new double[a.length];
            for (int j = 0; j < a.length; j++) {
                e[j] = ca * a[j] + cb * b[j];
            }
            return e;
        });
    }

    @Test
    void karcherOfTwoModelsIsTheirGeodesicMidpointAtTheMeanNorm() throws Exception {
        Path out = merge("karcher", twoModels("karcher", "{}", "{}", ""));
        compare(out, (a, b) -> {
            double na = Math.sqrt(dot(a, a));
            double nb = Math.sqrt(dot(b, b));
            double omega = Math.acos(dot(a, b) / (na * nb));
            double c = Math.sin(omega / 2) / Math.sin(omega) * (na + nb) / 2;
            double[] e = new double[a.length];
            for (int j = 0; j < a.length; j++) {
                e[j] = c * (a[j] / na + b[j] / nb);
            }
            return e;
        });
    }

    @Test
    void aMethodThatMergesDifferencesFromABaseSaysItNeedsOne() throws Exception {
        for (String method : new String[] {"task_arithmetic", "ties", "model_stock", "slerp", "multislerp"}) {
            CliRun r = run(method + "-nobase", twoModels(method, "{weight: 0.5}", "{weight: 0.5}", ""));
            assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
            assertThat(r.err()).as(method).contains("merge_method " + method + " needs base_model",
                    "add base_model");
            assertThat(dir.resolve(method + "-nobase")).doesNotExist();
        }
    }

    @Test
    void anAdapterOrATaskVectorCannotBeMergedWithoutABase() throws Exception {
        Path tv = models.resolve("tv.safetensors");
        assertThat(CliRun.of("task-vector", "--base", models.resolve("base").toString(), "--finetuned",
                models.resolve("hospital-1").toString(), "--out", tv.toString()).exitCode()).isZero();
        CliRun r = run("tv-first", "merge_method: linear\nmodels:\n  - model: tv.safetensors\n"
                + "  - model: hospital-2\n");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("is a task vector, not a model checkpoint: a task vector needs base_model");
    }

    private static String twoModels(String method, String first, String second, String extra) {
        return "merge_method: " + method + "\nmodels:\n  - model: hospital-1\n    parameters: " + first
                + "\n  - model: hospital-2\n    parameters: " + second + "\ndtype: float32\n" + extra;
    }

    private static CliRun run(String name, String yaml) throws Exception {
        Path cfg = Files.writeString(models.resolve(name + ".yml"), yaml);
        return CliRun.of("merge", cfg.toString(), dir.resolve(name).toString());
    }

    private static Path merge(String name, String yaml) throws Exception {
        CliRun r = run(name, yaml);
        assertThat(r.exitCode()).as(r.err()).isZero();
        return dir.resolve(name);
    }

    /** Every tensor of {@code out} against {@code formula}(hospital-1, hospital-2), within float32 rounding. */
    private static void compare(Path out, BiFunction<float[], float[], double[]> formula) throws Exception {
        try (Checkpoint c = Checkpoint.open(out);
                Checkpoint a = Checkpoint.open(models.resolve("hospital-1"));
                Checkpoint b = Checkpoint.open(models.resolve("hospital-2"))) {
            assertThat(c.tensorNames()).containsExactlyInAnyOrderElementsOf(a.tensorNames());
            // the first model's config, naming the dtype the merge wrote (every config here says dtype: float32)
            JsonMapper json = JsonMapper.builder().build();
            ObjectNode config = (ObjectNode) json.readTree(Files.readString(models.resolve("hospital-1/config.json")));
            config.put("torch_dtype", "float32");
            assertThat(json.readTree(Files.readString(out.resolve("config.json")))).isEqualTo(config);
            for (String n : c.tensorNames()) {
                double[] expected = formula.apply(read(a, n), read(b, n));
                float[] actual = read(c, n);
                for (int j = 0; j < actual.length; j++) {
                    assertThat((double) actual[j]).as("%s[%d]", n, j)
                            .isCloseTo(expected[j], offset(1e-5 + 1e-5 * Math.abs(expected[j])));
                }
            }
        }
    }

    private static float[] readModel(Path model, String name) {
        try (Checkpoint c = Checkpoint.open(model)) {
            return read(c, name);
        }
    }


    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int j = 0; j < v.length; j++) {
            d[j] = v[j];
        }
        return d;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) {
            s += (double) a[j] * b[j];
        }
        return s;
    }
}
