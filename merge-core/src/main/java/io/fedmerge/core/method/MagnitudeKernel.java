package io.fedmerge.core.method;

import io.fedmerge.core.tensor.FloatCodec;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Magnitude comparisons on float bits (|x| bits order like |x|). The SIMD twins handle whole vectors whose lanes need
 * no tie bookkeeping and hand any vector containing the threshold value back to the caller's scalar loop, so tie
 * counting by flat index stays exact and in order.
 */
final class MagnitudeKernel {
    private MagnitudeKernel() {}

    /**
     * Top-k zeroing of {@code x[from, to)}: drops |x| below the threshold and the ties past the quota. {@code seen[0]}
     * counts the ties met so far (in flat order). Whole vectors are decided at once when the quota is not crossed
     * inside them; returns the index of the first vector that needs element-by-element work (or the tail).
     */
    static int topKUntilQuotaCrossed(float[] x, int from, int to, int threshold, long[] seen, long tiesKept) {
        return FloatCodec.simdEnabled() ? Simd.topK(x, from, to, threshold, seen, tiesKept) : from;
    }

    /**
     * Calls {@code sink} with {@code (bucket - first) << 16 | low 16 bits} for every element of {@code x[0, length)}
     * whose bucket lies in [first, first + span), in order: one scan however many neighbouring buckets are wanted.
     */
    static void forEachInBuckets(float[] x, int length, int first, int span, java.util.function.IntConsumer sink) {
        int i = FloatCodec.simdEnabled() ? Simd.forEachInBuckets(x, length, first, span, sink) : 0;
        for (; i < length; i++) {
            int bits = Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF;
            int offset = (bits >>> 16) - first;
            if (offset >= 0 && offset < span) {
                sink.accept(offset << 16 | (bits & 0xFFFF));
            }
        }
    }

    /** How many elements of {@code x[0, length)} have |x| in a bucket below {@code bucket} (upper 16 bits of |x|). */
    static long countBelow(float[] x, int length, int bucket) {
        int limit = bucket << 16;
        int i = FloatCodec.simdEnabled() ? Simd.wholeVectors(length) : 0;
        long count = i == 0 ? 0 : Simd.countBelow(x, i, limit);
        for (; i < length; i++) {
            count += (Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF) < limit ? 1 : 0;
        }
        return count;
    }

    /** How many of {@code h[from, from + length)} are not zero. */
    static int nonZeros(int[] h, int from, int length) {
        int i = FloatCodec.simdEnabled() ? Simd.wholeIntVectors(length) : 0;
        int count = i == 0 ? 0 : Simd.nonZeros(h, from, i);
        for (; i < length; i++) {
            count += h[from + i] == 0 ? 0 : 1;
        }
        return count;
    }

    /**
     * Writes the offsets (from {@code from}) and values of the non-zero entries of {@code h[from, from + length)}, in
     * order, into {@code offsets} and {@code values}: a sparse copy of a mostly empty histogram, skipping whole
     * vectors of zeros at once.
     */
    static void compactNonZeros(int[] h, int from, int length, int[] offsets, int[] values) {
        int i = FloatCodec.simdEnabled() ? Simd.wholeIntVectors(length) : 0;
        int j = i == 0 ? 0 : Simd.compactNonZeros(h, from, i, offsets, values);
        for (; i < length; i++) {
            if (h[from + i] != 0) {
                offsets[j] = i;
                values[j++] = h[from + i];
            }
        }
    }

    static final class Simd {
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;

        private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

        private Simd() {}

        static int wholeVectors(int length) {
            return length - length % F.length();
        }

        static int wholeIntVectors(int length) {
            return length - length % I.length();
        }

        /** Non-zero entries of h[from, from + end); {@code end} is a multiple of the lane count. */
        static int nonZeros(int[] h, int from, int end) {
            int count = 0;
            for (int i = 0; i < end; i += I.length()) {
                count += IntVector.fromArray(I, h, from + i).compare(VectorOperators.NE, 0).trueCount();
            }
            return count;
        }

        static int compactNonZeros(int[] h, int from, int end, int[] offsets, int[] values) {
            int j = 0;
            for (int i = 0; i < end; i += I.length()) {
                long set = IntVector.fromArray(I, h, from + i).compare(VectorOperators.NE, 0).toLong();
                while (set != 0) {
                    int lane = Long.numberOfTrailingZeros(set);
                    offsets[j] = i + lane;
                    values[j++] = h[from + i + lane];
                    set &= set - 1;
                }
            }
            return j;
        }

        /** Elements of x[0, end) with |x| bits below {@code limit}; {@code end} is a multiple of the lane count. */
        static long countBelow(float[] x, int end, int limit) {
            long count = 0;
            for (int i = 0; i < end; i += F.length()) {
                IntVector bits = FloatVector.fromArray(F, x, i).reinterpretAsInts().and(0x7FFFFFFF);
                count += bits.compare(VectorOperators.LT, limit).trueCount();
            }
            return count;
        }

        static int topK(float[] x, int from, int to, int threshold, long[] seen, long tiesKept) {
            int lanes = F.length();
            int i = from;
            for (; i + lanes <= to; i += lanes) {
                FloatVector v = FloatVector.fromArray(F, x, i);
                IntVector bits = v.reinterpretAsInts().and(0x7FFFFFFF);
                int ties = bits.compare(VectorOperators.EQ, threshold).trueCount();
                VectorMask<Integer> drop;
                if (ties == 0 || seen[0] >= tiesKept) {
                    drop = bits.compare(VectorOperators.LE, threshold);
                    drop = ties == 0 ? bits.compare(VectorOperators.LT, threshold) : drop;
                } else if (seen[0] + ties <= tiesKept) {
                    drop = bits.compare(VectorOperators.LT, threshold);
                } else {
                    return i; // the quota ends inside this vector
                }
                seen[0] += ties;
                v.blend(0f, drop.cast(F)).intoArray(x, i);
            }
            return i;
        }

        static int forEachInBuckets(float[] x, int length, int first, int span,
                java.util.function.IntConsumer sink) {
            int lanes = F.length();
            int i = 0;
            for (; i + lanes <= length; i += lanes) {
                IntVector bits = FloatVector.fromArray(F, x, i).reinterpretAsInts().and(0x7FFFFFFF);
                // bucket - first as unsigned: below first wraps to a huge value, so one compare tests the range.
                IntVector offset = bits.lanewise(VectorOperators.LSHR, 16).sub(first);
                long hits = offset.compare(VectorOperators.ULT, span).toLong();
                while (hits != 0) {
                    int lane = Long.numberOfTrailingZeros(hits);
                    sink.accept(offset.lane(lane) << 16 | (bits.lane(lane) & 0xFFFF));
                    hits &= hits - 1;
                }
            }
            return i;
        }
    }
}
