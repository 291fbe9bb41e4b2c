package io.fedmerge.core.tensor;

/**
 * bfloat16 conversions.
 *
 * <pre>
 * float32: s eeeeeeee mmmmmmm mmmmmmmmmmmmmmmm
 * bf16   : s eeeeeeee mmmmmmm                    (the upper 16 bits)
 * </pre>
 *
 * Widening is exact: shift the 16 bits back up. Narrowing rounds to nearest, ties to even, by adding 0x7FFF plus the
 * lowest kept mantissa bit before truncating; a carry out of the mantissa correctly bumps the exponent (and turns the
 * largest finite values into infinity). NaN is handled apart so the carry cannot turn it into infinity; it is kept
 * quiet by forcing the top mantissa bit.
 */
public final class Bf16 {
    private Bf16() {}

    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
