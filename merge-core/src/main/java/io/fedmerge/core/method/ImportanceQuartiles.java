package io.fedmerge.core.method;

import java.util.Arrays;

/**
 * The elements of ascending rank ⌊q·(n − 1)⌋ for q = ¼, ½, ¾ of a tensor's float32 importances, exactly, in two
 * counting passes and without holding the tensor: a float's bits, mapped to an unsigned key that orders like the
 * values (negatives flipped, positives above them), are counted by their upper 16 bits in pass 0, which locates each
 * rank's bucket, and by their lower 16 bits inside those buckets in pass 1. Slices count into their own arrays; {@link #add} folds them in (slices finish on several threads).
 */
final class ImportanceQuartiles {
    private static final double[] QUANTILES = {0.25, 0.5, 0.75};
    private static final int BUCKETS = 1 << 16;

    private final long[] ranks = new long[QUANTILES.length];
    private final long[] high = new long[BUCKETS];
    private final long[] low = new long[QUANTILES.length * BUCKETS];
    private final int[] bucket = new int[QUANTILES.length];
    private final long[] below = new long[QUANTILES.length];
    private final float[] values = new float[QUANTILES.length];

    ImportanceQuartiles(long elements) {
        for (int i = 0; i < QUANTILES.length; i++) {
            ranks[i] = (long) Math.floor(QUANTILES[i] * (elements - 1));
        }
    }

    int[] newCounts(int pass) {
        return new int[pass == 0 ? BUCKETS : QUANTILES.length * BUCKETS];
    }

    void count(int pass, float[] importance, int length, int[] counts) {
        for (int j = 0; j < length; j++) {
            int bits = key(importance[j]);
            if (pass == 0) {
                counts[bits >>> 16]++;
                continue;
            }
            for (int q = 0; q < QUANTILES.length; q++) {
                if (bits >>> 16 == bucket[q]) {
                    counts[q * BUCKETS + (bits & 0xFFFF)]++;
                }
            }
        }
    }

    synchronized void add(int pass, int[] counts) {
        long[] total = pass == 0 ? high : low;
        for (int i = 0; i < counts.length; i++) {
            total[i] += counts[i];
        }
    }

    void endPass(int pass) {
        for (int q = 0; q < QUANTILES.length; q++) {
            if (pass == 0) {
                long seen = 0;
                int b = 0;
                while (seen + high[b] <= ranks[q]) {
                    seen += high[b++];
                }
                bucket[q] = b;
                below[q] = seen;
            } else {
                long seen = below[q];
                int v = 0;
                while (seen + low[q * BUCKETS + v] <= ranks[q]) {
                    seen += low[q * BUCKETS + v++];
                }
                values[q] = fromKey(bucket[q] << 16 | v);
            }
        }
        if (pass == 0) {
            Arrays.fill(high, 0);
        }
    }

    /** An int whose unsigned order is the float's order (KL with ε can dip a hair below zero). */
    static int key(float f) {
        int bits = Float.floatToRawIntBits(f);
        return bits >= 0 ? bits ^ 0x80000000 : ~bits;
    }

    static float fromKey(int key) {
        return Float.intBitsToFloat(key < 0 ? key ^ 0x80000000 : ~key);
    }

    /** The q-th quartile's value (0: first, 1: median, 2: third), after pass 1. */
    float value(int q) {
        return values[q];
    }
}
