package io.fedmerge.core.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LoraKernelTest {
    @Test
    void vectorAndScalarTwinsRoundIdenticallyOnRaggedSegments() {
        Random random = new Random(5);
        for (int trial = 0; trial < 200; trial++) {
            int r = 1 + random.nextInt(24);
            int stride = 1 + random.nextInt(300);
            int column = random.nextInt(stride);
            int length = random.nextInt(stride - column + 1);
            float[] coefficients = gaussian(random, r + 3);
            float[] factor = gaussian(random, r * stride);
            float[] start = gaussian(random, length + 2);
            float[] simd = start.clone();
            float[] scalar = start.clone();

            int done = LoraKernel.Simd.addRowProduct(coefficients, 3, r, factor, stride, column, simd, 2, length);
            LoraKernel.addScalar(coefficients, 3, r, factor, stride, column, simd, 2, done, length);
            LoraKernel.addScalar(coefficients, 3, r, factor, stride, column, scalar, 2, 0, length);

            assertThat(simd).as("r=%d stride=%d column=%d length=%d", r, stride, column, length).isEqualTo(scalar);
            for (int j = 0; j < length; j++) {
                double expected = start[2 + j];
                for (int k = 0; k < r; k++) {
                    expected += (double) coefficients[3 + k] * factor[k * stride + column + j];
                }
                assertThat((double) scalar[2 + j]).isCloseTo(expected, offset(1e-4
                        * (1 + Math.abs(expected))));
            }
        }
    }

    @Test
    void elementsOutsideTheSegmentAreUntouched() {
        float[] dst = {7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
        float[] factor = new float[2 * 20];
        Arrays.fill(factor, 1f);
        LoraKernel.addRowProduct(new float[] {2, 3}, 0, 2, factor, 20, 4, dst, 1, 9);
        assertThat(dst).containsExactly(7, 5, 5, 5, 5, 5, 5, 5, 5, 5, 9);
    }

    private static float[] gaussian(Random random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }
}
