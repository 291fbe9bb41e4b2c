package io.fedmerge.core.method;

import java.util.Arrays;
import java.util.List;

/**
 * Exact magnitude thresholds at chosen ascending ranks of |x| over a whole tensor, found in two streaming passes
 * without sorting or copying the tensor.
 *
 * <p>|x| of a finite float has its sign bit clear, so its bits order like the values. Pass A counts elements per
 * upper 16 bits (32,768 buckets); that locates the bucket holding each wanted rank. Pass B collects the lower 16 bits
 * of just the elements in those buckets, per slice, which pins the exact value and how many elements equal it in each
 * slice — what the merge pass needs to break ties by flat index (MERGE_METHODS §2.4) while slices run in parallel.
 * Memory: two dense histograms per slice in flight, and per finished slice a sparse histogram of its threshold-bucket
 * values; never a copy of the tensor.
 */
final class MagnitudeRanks {
    static final int BUCKETS = 1 << 15;

    /** The value at an ascending rank: its float bits, how many elements are smaller, equal, and equal before slice s. */
    record Threshold(int bits, long below, long equal, long[] equalBeforeSlice) {}

    /** Per-slice run-length histogram of the low 16 bits, one per wanted rank. */
    record Refinement(int[][] values, int[][] counts) {}

    private final long[] ranks;
    private final long[] bucketCounts = new long[BUCKETS];
    private int[] refineBuckets;
    private Threshold[] thresholds;

    /** @param ranks ascending ranks (0-based) whose values are wanted */
    MagnitudeRanks(long... ranks) {
        this.ranks = ranks.clone();
    }

    static void count(int[] counts, float[] x, int length) {
        for (int i = 0; i < length; i++) {
            counts[(Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF) >>> 16]++;
        }
    }

    /** Folds one slice's bucket counts into the total; integer sums, so the order of slices does not matter. */
    synchronized void addCounts(int[] counts) {
        for (int b = 0; b < BUCKETS; b++) {
            bucketCounts[b] += counts[b];
        }
    }

    void endCount() {
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

    /**
     * Counts, for one slice, the low 16 bits of the elements that fall in a threshold bucket. Differences of BF16
     * weights take few distinct values, so a threshold bucket can hold a large share of a tensor: a dense histogram
     * per slice, compacted when the slice ends, costs one increment per element whatever that share.
     */
    final class Collector {
        private final int[][] dense = new int[ranks.length][];

        void accept(float[] x, int length) {
            for (int r = 0; r < refineBuckets.length; r++) {
                if (dense[r] == null) {
                    dense[r] = new int[1 << 16];
                }
                int[] histogram = dense[r];
                MagnitudeKernel.forEachInBucket(x, length, refineBuckets[r], low -> histogram[low]++);
            }
        }

        Refinement finish() {
            int[][] values = new int[ranks.length][];
            int[][] counts = new int[ranks.length][];
            for (int r = 0; r < ranks.length; r++) {
                int[] h = dense[r] == null ? new int[0] : dense[r];
                int distinct = 0;
                for (int c : h) {
                    distinct += c == 0 ? 0 : 1;
                }
                values[r] = new int[distinct];
                counts[r] = new int[distinct];
                for (int v = 0, j = 0; v < h.length; v++) {
                    if (h[v] != 0) {
                        values[r][j] = v;
                        counts[r][j++] = h[v];
                    }
                }
                dense[r] = null;
            }
            return new Refinement(values, counts);
        }
    }

    Collector collector() {
        return new Collector();
    }

    void endRefine(List<Refinement> partials) {
        thresholds = new Threshold[ranks.length];
        for (int r = 0; r < ranks.length; r++) {
            thresholds[r] = pin(r, partials);
        }
    }

    private Threshold pin(int r, List<Refinement> partials) {
        int bucket = refineBuckets[r];
        long[] low = new long[1 << 16];
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
