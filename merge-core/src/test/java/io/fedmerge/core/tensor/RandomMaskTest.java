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
}
