package io.fedmerge.core.method;

import io.fedmerge.core.tensor.CounterRng;
import io.fedmerge.core.tensor.RandomMask;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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
            Arrays.fill(delta, 0, block.length(), 0f);
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

    /**
     * A selection whose decisions are costly to make (DELLA bounds every row) and are needed twice, by the L1-norm pass
     * and by the merge: the first cursor of a slice applies it and records which elements it dropped, one bit each
     * (n/8 bytes per tensor at most; a +0.0 counts as dropped); the next cursor of that slice replays the bits and
     * releases them. Only for selections that keep or zero an element and never change a kept value.
     */
    record Remembered(Selection decided, Map<Integer, DroppedBits> dropped) implements Selection {

        Remembered(Selection decided) {
            this(decided, new ConcurrentHashMap<>());
            if (decided instanceof DellaKeep d && d.divideByProbability()) {
                throw new IllegalArgumentException("a selection that rescales survivors cannot be replayed by bits");
            }
        }

        /** One slice's decisions: bit i set when the slice's element i is +0.0 after the decision. */
        static final class DroppedBits {
            private long[] words = new long[0];
        }

        @Override
        public Cursor cursor(int slice) {
            DroppedBits recorded = dropped.remove(slice);
            if (recorded != null) {
                return replay(recorded);
            }
            DroppedBits bits = new DroppedBits();
            dropped.put(slice, bits);
            return record(decided.cursor(slice), bits);
        }

        private static Cursor record(Cursor decide, DroppedBits bits) {
            long[] seen = {0};
            return (block, delta) -> {
                decide.apply(block, delta);
                int len = block.length();
                int at = (int) seen[0];
                int words = (at + len + 63) >>> 6;
                if (bits.words.length < words) {
                    bits.words = Arrays.copyOf(bits.words, Math.max(words, 2 * bits.words.length));
                }
                long[] w = bits.words;
                for (int j = 0; j < len; j++) {
                    // A dropped element is +0.0 now. So is a +0.0 that was kept, and replaying a drop on it gives
                    // the same bits; so no copy of the block from before the decision is needed.
                    int i = at + j;
                    w[i >>> 6] |= (Float.floatToRawIntBits(delta[j]) == 0 ? 1L : 0L) << i;
                }
                seen[0] += len;
            };
        }

        private static Cursor replay(DroppedBits bits) {
            long[] seen = {0};
            return (block, delta) -> {
                int at = (int) seen[0];
                int end = at + block.length();
                long[] w = bits.words;
                for (int word = at >>> 6; word < w.length && word << 6 < end; word++) {
                    for (long set = w[word]; set != 0; set &= set - 1) {
                        int i = (word << 6) + Long.numberOfTrailingZeros(set);
                        if (i >= at && i < end) {
                            delta[i - at] = 0f;
                        }
                    }
                }
                seen[0] = end;
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
            RandomMask.apply(rng, p, block.first(), delta, block.length());
        }
    }

    /**
     * DELLA's MagPrune: within each row (first dimension × the rest), element j of ascending magnitude rank r_j
     * (ties by flat index) is kept with probability p_j = (d − ε) + 2ε·r_j/(m − 1), so the row keeps d on average and
     * favours large magnitudes. With {@code divideByProbability} each survivor is divided by its own p (the original
     * DELLA rescale); otherwise rescaling is left to the caller. The draw test u &lt; p is done exactly as an integer
     * comparison of the draw's 53 bits with ⌈p·2⁵³⌉ (one threshold per rank, computed once per tensor); without
     * the division, {@link MagPruneRow} decides most elements from bounds on their rank and ranks only the rest.
     */
    record DellaKeep(CounterRng rng, double density, double epsilon, int rowLength, boolean divideByProbability,
            long[] thresholds, double[] probabilities) implements Selection, Cursor {

        DellaKeep(CounterRng rng, double density, double epsilon, int rowLength, boolean divideByProbability) {
            this(rng, density, epsilon, rowLength, divideByProbability, new long[rowLength], new double[rowLength]);
            double low = density - epsilon;
            double step = rowLength == 1 ? 0 : 2 * epsilon / (rowLength - 1);
            for (int rank = 0; rank < rowLength; rank++) {
                double p = rowLength == 1 ? density : low + step * rank;
                probabilities[rank] = p;
                thresholds[rank] = (long) Math.ceil(p * 0x1p53); // u = m·2⁻⁵³ < p  ⟺  m < ⌈p·2⁵³⌉
            }
        }

        /** A cursor with its own buffers, reused across the slice's blocks (the record is shared). */
        @Override
        public Cursor cursor(int slice) {
            if (divideByProbability) {
                RowRanks ranks = new RowRanks();
                int[] rankOf = new int[rowLength];
                return (block, delta) -> {
                    int length = wholeRows(block);
                    for (int start = 0; start < length; start += rowLength) {
                        divideRow(block.first() + start, delta, start, ranks, rankOf);
                    }
                };
            }
            MagPruneRow rows = new MagPruneRow();
            return (block, delta) -> {
                int length = wholeRows(block);
                for (int start = 0; start < length; start += rowLength) {
                    rows.keep(rng, block.first() + start, delta, start, rowLength, thresholds);
                }
            };
        }

        @Override
        public void apply(Slice block, float[] delta) {
            cursor(0).apply(block, delta);
        }

        /** The block's length, once it is known to hold whole rows. */
        private int wholeRows(Slice block) {
            if (block.length() % rowLength != 0) {
                throw new io.fedmerge.core.FedmergeException("della needs whole rows of " + rowLength
                        + " elements per block; this tensor's rows are longer than a slice");
            }
            return block.length();
        }

        /** Survivors are divided by their own p, which needs every rank. */
        private void divideRow(long firstFlat, float[] delta, int start, RowRanks ranks, int[] rankOf) {
            int m = rowLength;
            ranks.rank(delta, start, m, rankOf);
            for (int j = 0; j < m; j++) {
                int rank = rankOf[j];
                float kept = (float) (delta[start + j] / probabilities[rank]);
                delta[start + j] = rng.bits53(firstFlat + j) < thresholds[rank] ? kept : 0f;
            }
        }
    }
}
