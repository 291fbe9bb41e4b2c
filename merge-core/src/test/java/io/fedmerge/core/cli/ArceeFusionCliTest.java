package io.fedmerge.core.cli;

import static io.fedmerge.core.cli.GeneratedModels.read;
import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mergekit's arcee_fusion config (a base and one model) through `fedmerge merge`, against mergekit's formula computed
 * here the direct way: importances of the whole tensor sorted, quartiles at ⌊q·(n − 1)⌋, Tukey's fence.
 */
class ArceeFusionCliTest {
    @TempDir
    static Path dir;

    static Path models;

    @BeforeAll
    static void generate() {
        models = GeneratedModels.tiny(dir, 2, 31);
    }

    @Test
    void keepsTheChangesWhoseImportanceReachesTheFence() throws Exception {
        Path cfg = Files.writeString(models.resolve("fusion.yml"), """
                merge_method: arcee_fusion
                base_model: base
                models:
                  - model: hospital-1
                dtype: float32
                """);
        for (String threads : new String[] {"1", "2"}) {
            CliRun r = CliRun.of("merge", cfg.toString(), dir.resolve("fused-" + threads).toString(), "--threads",
                    threads, "--slice-elements", "512");
            assertThat(r.exitCode()).as(r.err()).isZero();
        }
        assertThat(Files.readAllBytes(dir.resolve("fused-1/model.safetensors")))
                .isEqualTo(Files.readAllBytes(dir.resolve("fused-2/model.safetensors")));
        long kept = 0;
        long total = 0;
        try (Checkpoint out = Checkpoint.open(dir.resolve("fused-1"));
                Checkpoint base = Checkpoint.open(models.resolve("base"));
                Checkpoint tuned = Checkpoint.open(models.resolve("hospital-1"))) {
            for (String name : out.tensorNames()) {
                float[] b = read(base, name);
                float[] t = read(tuned, name);
                long[] shape = base.info(name).shape();
                float[] expected = direct(b, t, (int) shape[shape.length - 1]);
                float[] actual = read(out, name);
                assertThat(actual).as(name).containsExactly(expected);
                for (int j = 0; j < b.length; j++) {
                    kept += actual[j] != b[j] ? 1 : 0;
                }
                total += b.length;
            }
        }
        // Tukey's fence keeps the outliers of importance: some changes, far from all
        assertThat(kept).isPositive().isLessThan(total / 4);
    }

    @Test
    void takesExactlyOneModelBesidesTheBase() throws Exception {
        Path cfg = Files.writeString(models.resolve("two.yml"), "merge_method: arcee_fusion\nbase_model: base\n"
                + "models:\n  - model: hospital-1\n  - model: hospital-2\n");
        CliRun r = CliRun.of("merge", cfg.toString(), dir.resolve("two").toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("arcee_fusion fuses exactly one model into the base, found 2");
    }

    /** mergekit's _arcee_fusion_merge, written out: softmax KL per row (last dimension), sorted quartiles. */
    static float[] direct(float[] base, float[] tuned, int row) {
        int n = base.length;
        float[] d = new float[n];
        for (int j = 0; j < n; j++) {
            d[j] = tuned[j] - base[j];
        }
        float[] importance = new float[n];
        for (int start = 0; start < n; start += row) {
            double[] p = softmax(base, d, start, row);
            double[] q = softmax(base, new float[n], start, row);
            double kl = 0;
            for (int j = 0; j < row; j++) {
                kl += (p[j] + 1e-8) * Math.log((p[j] + 1e-8) / (q[j] + 1e-8));
            }
            for (int j = start; j < start + row; j++) {
                importance[j] = Math.abs(d[j]) * (float) kl;
            }
        }
        float[] sorted = importance.clone();
        Arrays.sort(sorted);
        float q1 = sorted[(int) (0.25 * (n - 1))];
        float median = sorted[(int) (0.5 * (n - 1))];
        float q3 = sorted[(int) (0.75 * (n - 1))];
        float threshold = median + 1.5f * (q3 - q1);
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            out[j] = importance[j] >= threshold ? base[j] + d[j] : base[j];
        }
        return out;
    }

    private static double[] softmax(float[] base, float[] d, int start, int row) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = start; j < start + row; j++) {
            max = Math.max(max, base[j] + d[j]);
        }
        double sum = 0;
        double[] e = new double[row];
        for (int j = 0; j < row; j++) {
            e[j] = Math.exp((base[start + j] + d[start + j]) - max);
            sum += e[j];
        }
        for (int j = 0; j < row; j++) {
            e[j] /= sum;
        }
        return e;
    }

}
