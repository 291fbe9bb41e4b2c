package io.fedmerge.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The vectorised random mask against the scalar twin and against the plain u_k &lt; p definition. */
class RandomMaskTest {
    @Test
    void simdScalarAndDefinitionAgree() {
        CounterRng rng = CounterRng.forTensor(7, "ex.weight", "hosp-a");
        for (double p : new double[] {0.0, 1e-9, 0.3, 0.6, 0.999999, 1.0}) {
            for (long first : new long[] {0, 5, 1L << 40}) {
                float[] simd = new float[203];
                float[] scalar = new float[203];
                java.util.Arrays.fill(simd, 1f);
                java.util.Arrays.fill(scalar, 1f);
                long threshold = (long) Math.ceil(p * 0x1p53);
                int done = RandomMask.Simd.apply(rng.state(), threshold, first, simd, simd.length);
                RandomMask.applyScalar(rng, threshold, first, simd, done, simd.length);
                RandomMask.applyScalar(rng, threshold, first, scalar, 0, scalar.length);
                assertThat(simd).containsExactly(scalar);
                for (int i = 0; i < scalar.length; i++) {
                    assertThat(scalar[i] != 0).isEqualTo(rng.uniform(first + i) < p);
                }
            }
        }
    }

    /** Rank-dependent thresholds (DELLA): each element's own limit, gathered through an index map, at any offset. */
    @Test
    void perElementThresholdsMatchTheDefinition() {
        CounterRng rng = CounterRng.forTensor(9, "ex.weight", "hosp-b");
        java.util.SplittableRandom random = new java.util.SplittableRandom(2);
        long[] thresholds = new long[50];
        for (int t = 0; t < thresholds.length; t++) {
            thresholds[t] = (long) Math.ceil(t / 49.0 * 0x1p53);
        }
        for (int length : new int[] {0, 1, 7, 8, 9, 203}) {
            for (long first : new long[] {0, 3, 1L << 40}) {
                int from = 5;
                int[] thresholdOf = random.ints(length, 0, thresholds.length).toArray();
                float[] x = new float[from + length];
                java.util.Arrays.fill(x, 2f);
                RandomMask.keepBelow(rng, first, x, from, length, thresholds, thresholdOf);
                for (int i = 0; i < from; i++) {
                    assertThat(x[i]).as("before the range").isEqualTo(2f);
                }
                for (int i = 0; i < length; i++) {
                    boolean kept = rng.bits53(first + i) < thresholds[thresholdOf[i]];
                    assertThat(Float.floatToRawIntBits(x[from + i])).as("length %d element %d", length, i)
                            .isEqualTo(Float.floatToRawIntBits(kept ? 2f : 0f));
                }
            }
        }
    }
}
