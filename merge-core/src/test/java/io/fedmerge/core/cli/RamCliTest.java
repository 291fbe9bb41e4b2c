package io.fedmerge.core.cli;

import static io.fedmerge.core.cli.GeneratedModels.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import io.fedmerge.core.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * mergekit's ram and ramplus_tl through `fedmerge merge` on three fine-tunes, against the formulas of mergekit's
 * ram.py computed here directly. ε is set to the median change so that elements changed by none, one and several
 * models all occur.
 */
class RamCliTest {
    @TempDir
    static Path dir;

    static Path models;
    static float epsilon;
    static final String[] MODELS = {"hospital-1", "hospital-2", "hospital-3"};

    @BeforeAll
    static void generate() {
        models = GeneratedModels.tiny(dir, 3, 41);
        try (Checkpoint base = Checkpoint.open(models.resolve("base"));
                Checkpoint one = Checkpoint.open(models.resolve("hospital-1"))) {
            String name = "model.layers.0.mlp.down_proj.weight";
            float[] b = read(base, name);
            float[] t = read(one, name);
            float[] change = new float[b.length];
            for (int j = 0; j < b.length; j++) {
                change[j] = Math.abs(t[j] - b[j]);
            }
            Arrays.sort(change);
            epsilon = change[change.length / 2];
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ram", "ramplus_tl"})
    void matchesTheFormula(String method) throws Exception {
        String yaml = "merge_method: " + method + "\nbase_model: base\nmodels:\n"
                + Arrays.stream(MODELS).map(m -> "  - model: " + m + "\n").reduce("", String::concat)
                + "parameters: {epsilon: " + epsilon + (method.equals("ramplus_tl") ? ", r: 0.5, alpha: 0.3" : "")
                + "}\ndtype: float32\n";
        Path cfg = Files.writeString(models.resolve(method + ".yml"), yaml);
        CliRun r = CliRun.of("merge", cfg.toString(), dir.resolve(method).toString(), "--slice-elements", "1000");
        assertThat(r.exitCode()).as(r.err()).isZero();
        int[] cases = new int[3];
        try (Checkpoint out = Checkpoint.open(dir.resolve(method));
                Checkpoint base = Checkpoint.open(models.resolve("base"))) {
            for (String name : out.tensorNames()) {
                float[] b = read(base, name);
                float[][] d = new float[MODELS.length][];
                for (int i = 0; i < MODELS.length; i++) {
                    try (Checkpoint m = Checkpoint.open(models.resolve(MODELS[i]))) {
                        float[] t = read(m, name);
                        d[i] = new float[t.length];
                        for (int j = 0; j < t.length; j++) {
                            d[i][j] = t[j] - b[j];
                        }
                    }
                }
                double[] lambda = method.equals("ram") ? new double[] {1, 1, 1} : lambdas(d, 0.5, 0.3);
                float[] actual = read(out, name);
                for (int j = 0; j < b.length; j++) {
                    int n = 0;
                    for (float[] di : d) {
                        n += Math.abs(di[j]) > epsilon ? 1 : 0;
                    }
                    cases[Math.min(n, 2)]++;
                    double merged = 0;
                    for (int i = 0; i < d.length; i++) {
                        double x = Math.abs(d[i][j]) > epsilon ? d[i][j] : 0;
                        merged += n == 1 ? x * lambda[i] : n > 1 ? x / n : 0;
                    }
                    assertThat((double) actual[j]).as("%s[%d]", name, j)
                            .isCloseTo(b[j] + merged, offset(1e-6 + 1e-6 * Math.abs(b[j])));
                }
            }
        }
        assertThat(cases).as("elements changed by none, one, several").doesNotContain(0);
    }

    /** λᵢ = 1 + r·clamp(sharedᵢ / max(uniqueᵢ, ε), 0, α) over the whole tensor. */
    private static double[] lambdas(float[][] d, double r, double alpha) {
        double[] lambda = new double[d.length];
        long[] shared = new long[d.length];
        long[] unique = new long[d.length];
        for (int j = 0; j < d[0].length; j++) {
            int n = 0;
            for (float[] di : d) {
                n += Math.abs(di[j]) > epsilon ? 1 : 0;
            }
            for (int i = 0; i < d.length; i++) {
                if (Math.abs(d[i][j]) > epsilon) {
                    if (n == 1) {
                        unique[i]++;
                    } else {
                        shared[i]++;
                    }
                }
            }
        }
        for (int i = 0; i < d.length; i++) {
            lambda[i] = 1 + r * Math.min(alpha, Math.max(0, shared[i] / Math.max((double) unique[i], epsilon)));
        }
        return lambda;
    }

}
