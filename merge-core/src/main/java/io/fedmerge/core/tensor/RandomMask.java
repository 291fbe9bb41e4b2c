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
     * Keeps {@code x[from + i]} for i in [0, length) iff the draw at flat index {@code first + i} is below
     * {@code thresholds[thresholdOf[i]]} (each a ⌈p·2⁵³⌉, as DELLA's rank-dependent keep probabilities give), and
     * zeroes it otherwise.
     */
    public static void keepBelow(CounterRng rng, long first, float[] x, int from, int length, long[] thresholds,
            int[] thresholdOf) {
        int done = FloatCodec.simdEnabled()
                ? Simd.keepBelow(rng.state(), first, x, from, length, thresholds, thresholdOf) : 0;
        for (int i = done; i < length; i++) {
            if (rng.bits53(first + i) >= thresholds[thresholdOf[i]]) {
                x[from + i] = 0f;
            }
        }
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
        private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;
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

        /** {@link #apply} with a limit per element, {@code thresholds[thresholdOf[i]]}. */
        static int keepBelow(long state, long first, float[] x, int from, int length, long[] thresholds,
                int[] thresholdOf) {
            int lanes = L.length();
            int i = 0;
            for (; i + lanes <= length; i += lanes) {
                LongVector limit = LongVector.fromArray(L, thresholds, 0, thresholdOf, i);
                VectorMask<Long> drop = bits53(state, first + i).compare(VectorOperators.GE, limit);
                FloatVector v = FloatVector.fromArray(F, x, from + i);
                v.blend(0f, drop.cast(F)).intoArray(x, from + i);
            }
            return i;
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
