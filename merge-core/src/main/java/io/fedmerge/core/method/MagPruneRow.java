package io.fedmerge.core.method;

import io.fedmerge.core.tensor.CounterRng;
import io.fedmerge.core.tensor.RandomMask;
import java.util.Arrays;

/**
 * DELLA's keep test for one row (u_j &lt; p(rank_j), MERGE_METHODS §2.7) without sorting the row. The thresholds grow
 * with the rank, so an element whose rank is known to lie in [lo, hi] is kept when its draw is below the threshold
 * of lo and dropped when it is not below the one of hi; only the draws in between need the exact rank.
 *
 * <p>The bounds come from a counting pass over bucket keys that order like the magnitudes: 0 for zeros, 1 for
 * magnitudes too small for the window, then two keys per value of the upper bits (the exponent and nine mantissa bits)
 * — even for the magnitude whose lower bits are all zero, odd for the others, which are larger. A bucket's prefix
 * count bounds the ranks of its members. Even buckets hold one magnitude, so their ranks are exact, ties in index
 * order; a difference of two BF16 values of nearby exponents has at most nine significant bits, so with BF16
 * checkpoints nearly every element is ranked exactly. Odd buckets hold a few of the row's m ranks, so a draw falls
 * between their bounds about once per row; those elements are ranked by counting, and a row with many of them is
 * ranked by {@link RowRanks}. Why by hand: no library ranks this way, and sorting every row was half of DELLA's time.
 *
 * <p>One instance per thread: it reuses its buffers.
 */
final class MagPruneRow {
    /** Bits below a key's nine mantissa bits: a difference of two BF16 values of nearby exponents has none set. */
    private static final int SHIFT = 23 - 9;
    private static final int LOWER_BITS = (1 << SHIFT) - 1;
    /** Undecided elements each cost a scan of the row; beyond this many, ranking the whole row is cheaper. */
    private static final int SCAN_LIMIT = 24;

    private final RowRanks rowRanks = new RowRanks();
    private int[] magnitudes = new int[0];
    private int[] keys = new int[0];
    private int[] low = new int[0];
    private int[] high = new int[0];
    private int[] undecided = new int[0];
    private int[] rankOf = new int[0];
    private int[] count = new int[0];
    private int[] first = new int[0];

    /**
     * Zeroes {@code x[from + j]} for j in [0, m) unless the draw at flat index {@code firstFlat + j} is below
     * {@code thresholds[rank_j]}, rank_j being the element's ascending (|x|, index) rank in the row.
     */
    void keep(CounterRng rng, long firstFlat, float[] x, int from, int m, long[] thresholds) {
        // Upper-bit values in the window: one or two per element, at least 4,096 (8 binades of 512); two keys each.
        int window = Math.min(1 << (31 - SHIFT), Math.max(4096, Integer.highestOneBit(Math.max(1, m - 1)) << 1));
        int buckets = 2 * window;
        reserve(m, buckets);
        int max = 0;
        for (int j = 0; j < m; j++) {
            int magnitude = Float.floatToRawIntBits(x[from + j]) & 0x7FFFFFFF;
            magnitudes[j] = magnitude;
            max = Math.max(max, magnitude);
        }
        if (thresholds[m - 1] < thresholds[0]) { // a negative epsilon: bounds by rank would be upside down
            rowRanks.rank(magnitudes, m, rankOf);
            RandomMask.keepWithin(rng, firstFlat, x, from, m, thresholds, rankOf, rankOf, undecided);
            return;
        }
        int lowest = countBuckets(m, Math.max(0, (max >>> SHIFT) - (window - 1)));
        for (int k = lowest, next = 0; k < buckets; k++) {
            first[k] = next;
            next += count[k];
        }
        boundRanks(m);
        Arrays.fill(count, lowest, buckets, 0);
        int open = RandomMask.keepWithin(rng, firstFlat, x, from, m, thresholds, low, high, undecided);
        if (open > SCAN_LIMIT) {
            rowRanks.rank(magnitudes, m, rankOf);
        }
        for (int u = 0; u < open; u++) {
            int j = undecided[u];
            int rank = open > SCAN_LIMIT ? rankOf[j] : rankByCounting(j, m);
            if (rng.bits53(firstFlat + j) >= thresholds[rank]) {
                x[from + j] = 0f;
            }
        }
    }

    /**
     * Keys every element (see the class comment; {@code base} is the window's lowest upper bits less one) and counts
     * the buckets. Returns the lowest bucket used.
     */
    private int countBuckets(int m, int base) {
        int lowest = Integer.MAX_VALUE;
        for (int j = 0; j < m; j++) {
            int magnitude = magnitudes[j];
            int upper = (magnitude >>> SHIFT) - base; // below 1: under the window
            int key = Math.max(Math.min(magnitude, 1), 2 * upper + Math.min(magnitude & LOWER_BITS, 1));
            keys[j] = key;
            lowest = Math.min(lowest, key);
        }
        for (int j = 0; j < m; j++) {
            count[keys[j]]++;
        }
        return lowest;
    }

    /** Exact ranks in one-magnitude buckets (even keys; index order), the bucket's range of ranks in the others. */
    private void boundRanks(int m) {
        for (int j = 0; j < m; j++) {
            int key = keys[j];
            int odd = key & 1;
            int lo = first[key];
            low[j] = lo;
            high[j] = lo + (count[key] - 1) * odd;
            first[key] = lo + 1 - odd;
        }
    }

    /** Elements with a smaller magnitude, plus those with an equal one and a smaller index. */
    private int rankByCounting(int j, int m) {
        int magnitude = magnitudes[j];
        int rank = 0;
        for (int i = 0; i < m; i++) {
            int other = magnitudes[i];
            rank += other < magnitude || other == magnitude && i < j ? 1 : 0;
        }
        return rank;
    }

    private void reserve(int m, int buckets) {
        if (magnitudes.length < m) {
            magnitudes = new int[m];
            keys = new int[m];
            low = new int[m];
            high = new int[m];
            undecided = new int[m];
            rankOf = new int[m];
        }
        if (count.length < buckets) {
            count = new int[buckets];
            first = new int[buckets];
        }
    }
}
