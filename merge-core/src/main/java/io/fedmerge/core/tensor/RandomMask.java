package io.fedmerge.core.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Keeps element k of a block iff u_k &lt; p, with u_k the counter stream of {@link CounterRng}. Because
 * u_k = m·2⁻⁵³ for an integer m &lt; 2⁵³, the test is the integer comparison m &lt; ⌈p·2⁵³⌉, which vectorises: four
 * (AVX2) or eight (AVX-512) mix64 evaluations per instruction sequence instead of one, and no unpredictable branch.
 */
public final class RandomMask {
    private RandomMask() {}

    /** Zeroes {@code x[i]} for every i in [0, length) whose draw at flat index {@code first + i} is not below p. */
    public static void apply(CounterRng rng, double p, long first, float[] x, int length) {
        long threshold = (long) Math.ceil(p * 0x1p53);
        int done = FloatCodec.simdEnabled() ? Simd.apply(rng.state(), threshold, first, x, length) : 0;
        applyScalar(rng, threshold, first, x, done, length);
    }

    /**
     * Element i in [0, length), at flat index {@code first + i}, has a threshold known to lie between
     * {@code thresholds[low[i]]} and {@code thresholds[high[i]]} (the thresholds not decreasing with the index, as
     * DELLA's rank-dependent ⌈p·2⁵³⌉ do). Keeps {@code x[from + i]} when its draw is below the lower one, zeroes it
     * when the draw is not below the upper one, and otherwise leaves it and lists i in {@code undecided}, in
     * ascending order. Returns how many it listed: none when low and high are equal.
     */
    public static int keepWithin(CounterRng rng, long first, float[] x, int from, int length, long[] thresholds,
            int[] low, int[] high, int[] undecided) {
        int done = FloatCodec.simdEnabled() ? length - length % Simd.L.length() : 0;
        int open = done == 0 ? 0 : Simd.keepWithin(rng.state(), first, x, from, done, thresholds, low, high,
                undecided);
        for (int i = done; i < length; i++) {
            long draw = rng.bits53(first + i);
            if (draw >= thresholds[high[i]]) {
                x[from + i] = 0f;
            } else if (draw >= thresholds[low[i]]) {
                undecided[open++] = i;
            }
        }
        return open;
    }

    static void applyScalar(CounterRng rng, long threshold, long first, float[] x, int from, int length) {
        for (int i = from; i < length; i++) {
            if (rng.bits53(first + i) >= threshold) {
                x[i] = 0f;
            }
        }
    }

    static final class Simd {
        /**
         * The machine's own width (a fixed 512-bit species runs as slow, allocating Java code on a CPU without
         * AVX-512: measured on this project's AVX2 machine, DELLA 2× and DARE 8× slower); floats in as many lanes.
         */
        static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;
        private static final VectorSpecies<Float> F =
                VectorSpecies.of(float.class, VectorShape.forBitSize(L.vectorBitSize() / 2));
        private static final long GAMMA = 0x9E3779B97F4A7C15L;

        private Simd() {}

        static int apply(long state, long threshold, long first, float[] x, int length) {
            int lanes = L.length();
            int i = 0;
            for (; i + lanes <= length; i += lanes) {
                VectorMask<Long> drop = bits53(state, first + i).compare(VectorOperators.GE, threshold);
                FloatVector v = FloatVector.fromArray(F, x, i);
                v.blend(0f, drop.cast(F)).intoArray(x, i);
            }
            return i;
        }

        /** {@link #keepWithin} over [0, length), a multiple of the lane count. */
        static int keepWithin(long state, long first, float[] x, int from, int length, long[] thresholds, int[] low,
                int[] high, int[] undecided) {
            int lanes = L.length();
            int open = 0;
            for (int i = 0; i < length; i += lanes) {
                LongVector draw = bits53(state, first + i);
                LongVector upper = LongVector.fromArray(L, thresholds, 0, high, i);
                LongVector lower = LongVector.fromArray(L, thresholds, 0, low, i);
                VectorMask<Long> drop = draw.compare(VectorOperators.GE, upper);
                FloatVector v = FloatVector.fromArray(F, x, from + i);
                v.blend(0f, drop.cast(F)).intoArray(x, from + i);
                VectorMask<Long> between = draw.compare(VectorOperators.GE, lower).andNot(drop);
                for (long lanesOpen = between.toLong(); lanesOpen != 0; lanesOpen &= lanesOpen - 1) {
                    undecided[open++] = i + Long.numberOfTrailingZeros(lanesOpen);
                }
            }
            return open;
        }

        /** {@link CounterRng#bits53} of the counters k, k + 1, … in the lanes. */
        private static LongVector bits53(long state, long k) {
            LongVector z = LongVector.zero(L).addIndex(1).add(k + 1).mul(GAMMA).add(state);
            z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 30)).mul(0xBF58476D1CE4E5B9L);
            z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 27)).mul(0x94D049BB133111EBL);
            z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 31));
            return z.lanewise(VectorOperators.LSHR, 11);
        }
    }
}
