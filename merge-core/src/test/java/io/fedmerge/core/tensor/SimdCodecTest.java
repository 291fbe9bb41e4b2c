package io.fedmerge.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Every SIMD kernel against its scalar twin on random data, including ragged tails and special values. */
class SimdCodecTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void bf16DecodeMatchesScalarForEveryLengthAndOffset() {
        SplittableRandom rnd = new SplittableRandom(1);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2 * 1000 + 2);
            for (long i = 0; i < 1001; i++) {
                seg.set(I16, 2 * i, (short) rnd.nextInt());
            }
            for (int len : new int[] {0, 1, 15, 16, 17, 63, 64, 65, 999}) {
                for (long off : new long[] {0, 2}) {
                    float[] simd = new float[len];
                    int done = SimdCodec.decodeBf16(seg, off, simd, 0, len);
                    for (int i = 0; i < len; i++) {
                        float expected = Bf16.toFloat(seg.get(I16, off + 2L * i));
                        if (i < done) {
                            assertThat(Float.floatToRawIntBits(simd[i])).isEqualTo(Float.floatToRawIntBits(expected));
                        }
                    }
                    assertThat(done).isLessThanOrEqualTo(len).isGreaterThan(len - 64);
                }
            }
        }
    }

    @Test
    void bf16EncodeMatchesScalarIncludingNanInfinityAndTies() {
        SplittableRandom rnd = new SplittableRandom(2);
        float[] values = new float[1027];
        for (int i = 0; i < values.length; i++) {
            values[i] = Float.intBitsToFloat(rnd.nextInt());
        }
        values[3] = Float.NaN;
        values[4] = Float.intBitsToFloat(0x7F800001);
        values[5] = Float.POSITIVE_INFINITY;
        values[6] = Float.MAX_VALUE;
        values[7] = 1f + 0x1p-8f;
        values[8] = 1f + 3 * 0x1p-8f;
        values[9] = -0f;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(2L * values.length);
            int done = SimdCodec.encodeBf16(values, 0, values.length, out);
            assertThat(done).isGreaterThan(values.length - 64);
            for (int i = 0; i < done; i++) {
                assertThat(out.get(I16, 2L * i)).as("element %d", i).isEqualTo(Bf16.fromFloat(values[i]));
            }
        }
    }

    @Test
    void nonFiniteScanFindsEveryKindAnywhere() {
        for (int len : new int[] {1, 16, 17, 100}) {
            for (int at = 0; at < len; at += 7) {
                for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                    float[] v = new float[len];
                    java.util.Arrays.fill(v, -Float.MAX_VALUE);
                    v[at] = bad;
                    assertThat(SimdCodec.anyNonFinite(v, len)).isTrue();
                    assertThat(FloatCodec.firstNonFinite(v, len)).isEqualTo(at);
                }
            }
            float[] finite = new float[len];
            java.util.Arrays.fill(finite, Float.MAX_VALUE);
            assertThat(SimdCodec.anyNonFinite(finite, len)).isFalse();
        }
    }

    /**
     * The fused decode-and-check (and decode-minus-and-check) paths: the same bits as decoding then subtracting
     * element by element, and "finite" exactly when no value (or difference, which may overflow) is NaN or infinite,
     * wherever the bad value sits: in the vector part or in the scalar tail.
     */
    @Test
    void fusedDecodeChecksMatchDecodingThenScanning() {
        SplittableRandom rnd = new SplittableRandom(4);
        short[] bad = {(short) 0x7F80, (short) 0xFF80, (short) 0x7FC1}; // +Inf, -Inf, NaN
        try (Arena arena = Arena.ofConfined()) {
            for (int len : new int[] {0, 1, 15, 16, 17, 100}) {
                MemorySegment seg = arena.allocate(2L * len + 2);
                float[] minus = new float[len];
                for (int at = -1; at < len; at += 5) {
                    for (int i = 0; i < len; i++) {
                        seg.set(I16, 2L * i, Bf16.fromFloat((float) rnd.nextGaussian()));
                        minus[i] = (float) rnd.nextGaussian();
                    }
                    if (at >= 0) {
                        seg.set(I16, 2L * at, bad[at % bad.length]);
                    }
                    assertFused(seg, minus, len, at < 0);
                }
                if (len > 0) { // finite inputs whose difference overflows to -Inf
                    seg.set(I16, 2L * (len - 1), Bf16.fromFloat(-Float.MAX_VALUE));
                    minus[len - 1] = Float.MAX_VALUE;
                    assertFused(seg, minus, len, false);
                }
            }
        }
    }

    private static void assertFused(MemorySegment seg, float[] minus, int len, boolean finite) {
        float[] decoded = new float[len];
        float[] expected = new float[len];
        FloatCodec.decode(seg, 0, DType.BF16, decoded, 0, len);
        for (int i = 0; i < len; i++) {
            expected[i] = decoded[i] - minus[i];
        }
        float[] gotDecoded = new float[len];
        float[] gotDifference = new float[len];
        boolean decodedFinite = FloatCodec.decodeMinusFinite(seg, 0, DType.BF16, null, gotDecoded, len);
        boolean differenceFinite = FloatCodec.decodeMinusFinite(seg, 0, DType.BF16, minus, gotDifference, len);
        assertThat(bits(gotDecoded)).isEqualTo(bits(decoded));
        assertThat(bits(gotDifference)).isEqualTo(bits(expected));
        assertThat(decodedFinite).as("decoded finite, len %d", len)
                .isEqualTo(FloatCodec.firstNonFinite(decoded, len) < 0);
        assertThat(differenceFinite).as("difference finite, len %d", len).isEqualTo(finite);
    }

    private static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }

    @Test
    void simdIsOnInTests() {
        assertThat(FloatCodec.simdEnabled()).isTrue();
    }
}
