package io.fedmerge.eval.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.Random;
import org.junit.jupiter.api.Test;

class KernelsTest {
    @Test
    void theVectorDotAgreesWithItsScalarTwinOnRaggedLengths() {
        Random r = new Random(4);
        for (int trial = 0; trial < 500; trial++) {
            int n = r.nextInt(300);
            int at = r.nextInt(20);
            float[] a = new float[at + n];
            float[] b = new float[n];
            double exact = 0;
            for (int i = 0; i < n; i++) {
                a[at + i] = (float) r.nextGaussian();
                b[i] = (float) r.nextGaussian();
                exact += (double) a[at + i] * b[i];
            }
            int covered = Kernels.Simd.covered(n);
            float simd = Kernels.Simd.dot(a, at, b, covered) + Kernels.dotScalar(a, at, b, covered, n);
            float scalar = Kernels.dotScalar(a, at, b, 0, n);
            assertThat((double) simd).as("n=%d", n).isCloseTo(exact, offset(1e-4 * (1 + Math.sqrt(n))));
            assertThat((double) scalar).isCloseTo(exact, offset(1e-4 * (1 + Math.sqrt(n))));
            assertThat(Kernels.dot(a, at, b, n)).isCloseTo(simd, offset(1e-6f * (1 + n)));
        }
    }
}
