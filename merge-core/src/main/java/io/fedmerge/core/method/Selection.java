package io.fedmerge.core.method;

import io.fedmerge.core.tensor.CounterRng;

/** Which elements of one contributor's delta survive sparsification, once the tensor's statistics are known. */
sealed interface Selection {

    /** Zeroes, in place, the elements of {@code delta[0, slice.length())} that are not kept. */
    void apply(Slice slice, float[] delta);

    record KeepAll() implements Selection {
        @Override
        public void apply(Slice slice, float[] delta) {}
    }

    record KeepNone() implements Selection {
        @Override
        public void apply(Slice slice, float[] delta) {
            java.util.Arrays.fill(delta, 0, slice.length(), 0f);
        }
    }

    /** The k largest magnitudes; among equal magnitudes at the threshold the lowest flat indices win. */
    record TopK(MagnitudeRanks.Threshold threshold, long tiesKept) implements Selection {
        @Override
        public void apply(Slice slice, float[] delta) {
            int t = threshold.bits();
            long tie = threshold.equalBeforeSlice()[slice.index()];
            for (int i = 0; i < slice.length(); i++) {
                int bits = Float.floatToRawIntBits(delta[i]) & 0x7FFFFFFF;
                if (bits < t || (bits == t && tie++ >= tiesKept)) {
                    delta[i] = 0f;
                }
            }
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
        public void apply(Slice slice, float[] delta) {
            int lo = lower == null ? -1 : lower.bits();
            int hi = upper == null ? Integer.MAX_VALUE : upper.bits();
            long loTie = lower == null ? 0 : lower.equalBeforeSlice()[slice.index()];
            long hiTie = upper == null ? 0 : upper.equalBeforeSlice()[slice.index()];
            for (int i = 0; i < slice.length(); i++) {
                int bits = Float.floatToRawIntBits(delta[i]) & 0x7FFFFFFF;
                boolean keep = bits > lo && bits < hi;
                if (bits == lo) {
                    long rank = lower.below() + loTie++;
                    keep = rank >= from && (bits != hi || rank < to);
                    if (bits == hi) {
                        hiTie++;
                    }
                } else if (bits == hi) {
                    keep = upper.below() + hiTie++ < to;
                }
                if (!keep) {
                    delta[i] = 0f;
                }
            }
        }
    }

    /** Bernoulli(p) per element from the contributor's counter stream (§2.5). */
    record RandomKeep(CounterRng rng, double p) implements Selection {
        @Override
        public void apply(Slice slice, float[] delta) {
            long first = slice.first();
            for (int i = 0; i < slice.length(); i++) {
                if (!(rng.uniform(first + i) < p)) {
                    delta[i] = 0f;
                }
            }
        }
    }
}
