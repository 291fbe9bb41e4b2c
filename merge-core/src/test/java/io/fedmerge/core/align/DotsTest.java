package io.fedmerge.core.align;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The vector float64 dot product against its scalar twin, for every tail length and offset. */
class DotsTest {
    @Test
    void vectorAndScalarDotsAgreeToFloat64Rounding() {
        SplittableRandom rnd = new SplittableRandom(8);
        for (int len : new int[] {0, 1, 7, 8, 9, 63, 1000, 16384}) {
            for (int offset : new int[] {0, 3}) {
                float[] x = new float[len + offset];
                float[] y = new float[len + 2 * offset];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) rnd.nextGaussian();
                }
                for (int i = 0; i < y.length; i++) {
                    y[i] = (float) rnd.nextGaussian();
                }
                double scalar = Dots.scalar(x, y, offset, 2 * offset, len);
                int head = Dots.Simd.lanes(len);
                double simd = (head > 0 ? Dots.Simd.dot(x, y, offset, 2 * offset, head) : 0)
                        + Dots.scalar(x, y, offset + head, 2 * offset + head, len - head);
                assertThat(simd).as("length %d", len).isCloseTo(scalar, within(1e-12 * Math.max(1, Math.abs(scalar))));
                assertThat(Dots.dot(x, y, offset, 2 * offset, len)).isEqualTo(simd);
            }
        }
    }

    @Test
    void vectorAndScalarL1Agree() {
        SplittableRandom rnd = new SplittableRandom(9);
        for (int len : new int[] {0, 1, 9, 1000}) {
            float[] x = new float[len];
            for (int i = 0; i < len; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            double scalar = Dots.l1Scalar(x, 0, len);
            assertThat(Dots.l1(x, len)).isCloseTo(scalar, within(1e-12 * Math.max(1, scalar)));
        }
    }
}
