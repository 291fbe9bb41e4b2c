package io.fedmerge.core.method;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ImportanceQuartilesTest {
    @Test
    void countingFindsTheSortedQuartilesWhateverTheSlicingAndTheSigns() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int trial = 0; trial < 50; trial++) {
            int n = 1 + rnd.nextInt(5000);
            float[] v = new float[n];
            for (int j = 0; j < n; j++) {
                // mostly tiny non-negatives, some exact repeats, zeros of both signs and a few small negatives
                v[j] = switch (rnd.nextInt(6)) {
                    case 0 -> 0f;
                    case 1 -> -0f;
                    case 2 -> -1e-9f * rnd.nextInt(3);
                    case 3 -> 0.125f;
                    default -> (float) (rnd.nextDouble() * Math.pow(10, -rnd.nextInt(8)));
                };
            }
            ImportanceQuartiles q = new ImportanceQuartiles(n);
            int slice = 1 + rnd.nextInt(n);
            for (int pass = 0; pass < 2; pass++) {
                for (int first = 0; first < n; first += slice) {
                    int len = Math.min(slice, n - first);
                    int[] counts = q.newCounts(pass);
                    q.count(pass, Arrays.copyOfRange(v, first, first + len), len, counts);
                    q.add(pass, counts);
                }
                q.endPass(pass);
            }
            float[] sorted = v.clone();
            Arrays.sort(sorted);
            double[] quantiles = {0.25, 0.5, 0.75};
            for (int i = 0; i < 3; i++) {
                // compared as values: -0.0 and 0.0 are the same importance
                assertThat(q.value(i) == sorted[(int) (quantiles[i] * (n - 1))]).as("trial %d q%d", trial, i)
                        .isTrue();
            }
        }
    }

    @Test
    void theKeyOrdersLikeTheFloats() {
        float[] ordered = {Float.NEGATIVE_INFINITY, -3f, -1e-30f, -0f, 0f, 1e-45f, 1e-30f, 2f, Float.MAX_VALUE};
        for (int i = 1; i < ordered.length; i++) {
            assertThat(Integer.compareUnsigned(ImportanceQuartiles.key(ordered[i - 1]),
                    ImportanceQuartiles.key(ordered[i]))).isNegative();
            assertThat(ImportanceQuartiles.fromKey(ImportanceQuartiles.key(ordered[i]))).isEqualTo(ordered[i]);
        }
    }
}
