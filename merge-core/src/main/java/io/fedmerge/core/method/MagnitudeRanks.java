package io.fedmerge.core.method;

import java.util.Arrays;
import java.util.List;

/**
 * Exact magnitude thresholds at chosen ascending ranks of |x| over a whole tensor, found in two streaming passes
 * without sorting or copying the tensor.
 *
 * <p>|x| of a finite float has its sign bit clear, so its bits order like the values. Pass A counts elements per
 * upper 16 bits (32,768 buckets); that locates the bucket holding each wanted rank. Pass B histograms the lower 16
 * bits of just those buckets, per slice, which pins the exact value and how many elements equal it in each slice —
 * what the merge pass needs to break ties by flat index (MERGE_METHODS §2.4) while slices run in parallel. Memory is
 * two histograms per worker plus a sparse histogram per slice, never a copy of the tensor.
 */
final class MagnitudeRanks {
    static final int BUCKETS = 1 << 15;
    private static final int LOW = 1 << 16;

    /** The value at an ascending rank: its float bits, how many elements are smaller, equal, and equal before slice s. */
    record Threshold(int bits, long below, long equal, long[] equalBeforeSlice) {}

    /** Per-slice sparse histogram of the low 16 bits, one per refined bucket. */
    record Refinement(int[][] values, int[][] counts) {}

    private final long[] ranks;
    private long[] bucketCounts;
    private int[] refineBuckets;
    private Threshold[] thresholds;

    /** @param ranks ascending ranks (0-based) whose values are wanted */
    MagnitudeRanks(long... ranks) {
        this.ranks = ranks.clone();
    }

    static int[] countBuckets(float[] x, int length) {
        int[] counts = new int[BUCKETS];
        for (int i = 0; i < length; i++) {
            counts[(Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF) >>> 16]++;
        }
        return counts;
    }

    void endCount(List<int[]> partials) {
        bucketCounts = new long[BUCKETS];
        for (int[] p : partials) {
            for (int b = 0; b < BUCKETS; b++) {
                bucketCounts[b] += p[b];
            }
        }
        refineBuckets = new int[ranks.length];
        for (int r = 0; r < ranks.length; r++) {
            refineBuckets[r] = bucketOf(ranks[r]);
        }
    }

    private int bucketOf(long rank) {
        long cumulative = 0;
        for (int b = 0; b < BUCKETS; b++) {
            cumulative += bucketCounts[b];
            if (rank < cumulative) {
                return b;
            }
        }
        throw new IllegalArgumentException("rank " + rank + " beyond " + cumulative + " elements");
    }

    Refinement refine(float[] x, int length) {
        int[][] dense = new int[refineBuckets.length][];
        for (int r = 0; r < refineBuckets.length; r++) {
            dense[r] = sharedOrNew(dense, r);
        }
        for (int i = 0; i < length; i++) {
            int bits = Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF;
            int bucket = bits >>> 16;
            for (int r = 0; r < refineBuckets.length; r++) {
                if (bucket == refineBuckets[r]) {
                    dense[r][bits & 0xFFFF]++;
                    break; // equal buckets share one histogram (see sharedOrNew)
                }
            }
        }
        int[][] values = new int[dense.length][];
        int[][] counts = new int[dense.length][];
        for (int r = 0; r < dense.length; r++) {
            int nonZero = 0;
            for (int c : dense[r]) {
                nonZero += c == 0 ? 0 : 1;
            }
            values[r] = new int[nonZero];
            counts[r] = new int[nonZero];
            for (int v = 0, j = 0; v < LOW; v++) {
                if (dense[r][v] != 0) {
                    values[r][j] = v;
                    counts[r][j++] = dense[r][v];
                }
            }
        }
        return new Refinement(values, counts);
    }

    /** Two ranks in one bucket share a histogram, so each element is counted once. */
    private int[] sharedOrNew(int[][] dense, int r) {
        for (int q = 0; q < r; q++) {
            if (refineBuckets[q] == refineBuckets[r]) {
                return dense[q];
            }
        }
        return new int[LOW];
    }

    void endRefine(List<Refinement> partials) {
        thresholds = new Threshold[ranks.length];
        for (int r = 0; r < ranks.length; r++) {
            thresholds[r] = pin(r, partials);
        }
    }

    private Threshold pin(int r, List<Refinement> partials) {
        int bucket = refineBuckets[r];
        long[] low = new long[LOW];
        for (Refinement p : partials) {
            for (int j = 0; j < p.values()[r].length; j++) {
                low[p.values()[r][j]] += p.counts()[r][j];
            }
        }
        long below = 0;
        for (int b = 0; b < bucket; b++) {
            below += bucketCounts[b];
        }
        int value = 0;
        while (below + low[value] <= ranks[r]) {
            below += low[value];
            value++;
        }
        long[] before = new long[partials.size()];
        long running = 0;
        for (int s = 0; s < partials.size(); s++) {
            before[s] = running;
            Refinement p = partials.get(s);
            int at = Arrays.binarySearch(p.values()[r], value);
            running += at >= 0 ? p.counts()[r][at] : 0;
        }
        return new Threshold((bucket << 16) | value, below, low[value], before);
    }

    Threshold threshold(int r) {
        return thresholds[r];
    }
}
