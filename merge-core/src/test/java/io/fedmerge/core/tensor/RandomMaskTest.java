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

    /**
     * Thresholds known only within bounds (DELLA's ranks bounded by buckets), gathered through two index maps at any
     * offset: kept below the lower one, dropped from the upper one, listed and left as they are in between; equal
     * bounds leave nothing undecided.
     */
    @Test
    void boundedThresholdsKeepDropOrListEachElement() {
        CounterRng rng = CounterRng.forTensor(9, "ex.weight", "hosp-b");
        java.util.SplittableRandom random = new java.util.SplittableRandom(2);
        long[] thresholds = new long[50];
        for (int t = 0; t < thresholds.length; t++) {
            thresholds[t] = (long) Math.ceil(t / 49.0 * 0x1p53);
        }
        for (boolean exact : new boolean[] {true, false}) {
            for (int length : new int[] {0, 1, 7, 8, 9, 203}) {
                for (long first : new long[] {0, 3, 1L << 40}) {
                    int from = 5;
                    int[] low = random.ints(length, 0, thresholds.length).toArray();
                    int[] high = exact ? low : java.util.Arrays.stream(low)
                            .map(l -> Math.min(thresholds.length - 1, l + random.nextInt(30))).toArray();
                    int[] undecided = new int[length];
                    float[] x = new float[from + length];
                    java.util.Arrays.fill(x, 2f);
                    int open = RandomMask.keepWithin(rng, first, x, from, length, thresholds, low, high, undecided);
                    for (int i = 0; i < from; i++) {
                        assertThat(x[i]).as("before the range").isEqualTo(2f);
                    }
                    java.util.List<Integer> listed = new java.util.ArrayList<>();
                    for (int i = 0; i < length; i++) {
                        long draw = rng.bits53(first + i);
                        boolean between = draw >= thresholds[low[i]] && draw < thresholds[high[i]];
                        if (between) {
                            listed.add(i);
                        }
                        boolean dropped = draw >= thresholds[high[i]];
                        assertThat(Float.floatToRawIntBits(x[from + i])).as("length %d element %d", length, i)
                                .isEqualTo(Float.floatToRawIntBits(dropped ? 0f : 2f));
                    }
                    assertThat(java.util.Arrays.stream(undecided, 0, open).boxed().toList())
                            .as("undecided, length %d", length).isEqualTo(listed);
                    if (exact) {
                        assertThat(open).isZero();
                    } else if (length == 203) {
                        assertThat(open).as("some draws fall between their bounds").isPositive();
                    }
                }
            }
        }
    }
}
