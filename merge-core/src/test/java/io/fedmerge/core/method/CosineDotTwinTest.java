package io.fedmerge.core.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The vector float64 dot product against its scalar twin, for every tail length. */
class CosineDotTwinTest {
    @Test
    void vectorAndScalarDotsAgreeToFloat64Rounding() {
        SplittableRandom rnd = new SplittableRandom(8);
        for (int len : new int[] {0, 1, 7, 8, 9, 63, 1000, 16384}) {
            float[] x = new float[len];
            float[] y = new float[len];
            for (int i = 0; i < len; i++) {
                x[i] = (float) rnd.nextGaussian();
                y[i] = (float) rnd.nextGaussian();
            }
            double scalar = CosineStats.dotScalar(x, y, 0, len);
            int head = CosineStats.Simd.lanes(len);
            double simd = (head > 0 ? CosineStats.Simd.dot(x, y, head) : 0) + CosineStats.dotScalar(x, y, head, len);
            assertThat(simd).as("length %d", len).isCloseTo(scalar, within(1e-12 * Math.max(1, Math.abs(scalar))));
            assertThat(CosineStats.dot(x, y, len)).isEqualTo(simd);
        }
    }
}
