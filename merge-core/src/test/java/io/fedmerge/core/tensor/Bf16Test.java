package io.fedmerge.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Bf16Test {
    @Test
    void roundsHalfToEven() {
        assertThat(Bf16.fromFloat(1f + 0x1p-8f)).isEqualTo((short) 0x3F80);
        assertThat(Bf16.fromFloat(1f + 3 * 0x1p-8f)).isEqualTo((short) 0x3F82);
        assertThat(Bf16.fromFloat(1f + 0x1p-8f + 0x1p-20f)).isEqualTo((short) 0x3F81);
    }

    @Test
    void keepsNanAndOverflowsToInfinity() {
        assertThat(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(Float.NaN)))).isTrue();
        assertThat(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(Float.intBitsToFloat(0x7F800001))))).isTrue();
        assertThat(Bf16.toFloat(Bf16.fromFloat(Float.MAX_VALUE))).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Bf16.toFloat(Bf16.fromFloat(-Float.MAX_VALUE))).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Bf16.toFloat(Bf16.fromFloat(Float.NEGATIVE_INFINITY))).isEqualTo(Float.NEGATIVE_INFINITY);
    }

    @Test
    void everyNonNanPatternSurvivesARoundTrip() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = Bf16.toFloat((short) bits);
            if (!Float.isNaN(f)) {
                assertThat(Bf16.fromFloat(f) & 0xFFFF).as("pattern %04x", bits).isEqualTo(bits);
            }
        }
    }
}
