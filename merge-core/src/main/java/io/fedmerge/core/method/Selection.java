package io.fedmerge.core.method;

import io.fedmerge.core.tensor.CounterRng;

/**
 * Which elements of one contributor's delta survive sparsification, once the tensor's statistics are known. A
 * selection hands each slice a {@link Cursor}: rank-based selections count ties as blocks go by, so a cursor must
 * see its slice's blocks in order.
 */
sealed interface Selection {

    /** Zeroes, in place, the elements of one block that are not kept. */
    interface Cursor {
        void apply(Slice block, float[] delta);
    }

    Cursor cursor(int slice);

    record KeepAll() implements Selection, Cursor {
        @Override
        public Cursor cursor(int slice) {
            return this;
        }

        @Override
        public void apply(Slice block, float[] delta) {}
    }

    record KeepNone() implements Selection, Cursor {
        @Override
        public Cursor cursor(int slice) {
            return this;
        }

        @Override
        public void apply(Slice block, float[] delta) {
            java.util.Arrays.fill(delta, 0, block.length(), 0f);
        }
    }

    /** The k largest magnitudes; among equal magnitudes at the threshold the lowest flat indices win. */
    record TopK(MagnitudeRanks.Threshold threshold, long tiesKept) implements Selection {
        @Override
        public Cursor cursor(int slice) {
            long[] tie = {threshold.equalBeforeSlice()[slice]};
            int t = threshold.bits();
            return (block, delta) -> {
                int len = block.length();
                int i = 0;
                while (i < len) {
                    i = MagnitudeKernel.topKUntilQuotaCrossed(delta, i, len, t, tie, tiesKept);
                    // The vector where the quota runs out (or the tail), element by element in flat order.
                    int end = Math.min(len, i + 64);
                    for (; i < end; i++) {
                        int bits = Float.floatToRawIntBits(delta[i]) & 0x7FFFFFFF;
                        if (bits < t || (bits == t && tie[0]++ >= tiesKept)) {
                            delta[i] = 0f;
                        }
                    }
                }
            };
        }
    }

    /**
     * Keeps ascending ranks [from, to): drops the smallest and the largest magnitudes. Ascending order breaks ties by
     * flat index, so at a threshold value the lowest indices count as smaller.
     *
     * @param lower value at rank {@code from}, or null when nothing small is dropped
     * @param upper value at rank {@code to - 1}, or null when nothing large is dropped
     */
    record Outliers(MagnitudeRanks.Threshold lower, long from, MagnitudeRanks.Threshold upper, long to)
            implements Selection {
        @Override
        public Cursor cursor(int slice) {
            int lo = lower == null ? -1 : lower.bits();
            int hi = upper == null ? Integer.MAX_VALUE : upper.bits();
            long[] ties = {lower == null ? 0 : lower.equalBeforeSlice()[slice],
                    upper == null ? 0 : upper.equalBeforeSlice()[slice]};
            return (block, delta) -> {
                for (int i = 0; i < block.length(); i++) {
                    int bits = Float.floatToRawIntBits(delta[i]) & 0x7FFFFFFF;
                    boolean keep = bits > lo && bits < hi;
                    if (bits == lo) {
                        long rank = lower.below() + ties[0]++;
                        keep = rank >= from && (bits != hi || rank < to);
                        if (bits == hi) {
                            ties[1]++;
                        }
                    } else if (bits == hi) {
                        keep = upper.below() + ties[1]++ < to;
                    }
                    if (!keep) {
                        delta[i] = 0f;
                    }
                }
            };
        }
    }

    /** Bernoulli(p) per element from the contributor's counter stream (§2.5). */
    record RandomKeep(CounterRng rng, double p) implements Selection, Cursor {
        @Override
        public Cursor cursor(int slice) {
            return this;
        }

        @Override
        public void apply(Slice block, float[] delta) {
            long first = block.first();
            for (int i = 0; i < block.length(); i++) {
                if (!(rng.uniform(first + i) < p)) {
                    delta[i] = 0f;
                }
            }
        }
    }
}
