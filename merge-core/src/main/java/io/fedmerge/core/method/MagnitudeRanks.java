package io.fedmerge.core.method;

import java.util.Arrays;
import java.util.List;

/**
 * Exact magnitude thresholds at chosen ascending ranks of |x| over a whole tensor, found in streaming passes without
 * sorting or copying the tensor.
 *
 * <p>|x| of a finite float has its sign bit clear, so its bits order like the values, and its upper 16 bits name one
 * of 32,768 buckets. A sample's bucket histogram guesses the buckets that hold the wanted ranks (candidates). The
 * counting pass then collects the lower 16 bits of just the elements in candidate buckets, per slice, and counts how
 * many elements lie below each run of neighbouring candidates (a vector compare, not a histogram): a rank inside a run
 * is pinned from those alone — its exact value and how many elements equal it in each slice, what the merge pass needs
 * to break ties by flat index (MERGE_METHODS §2.4) while slices run in parallel. If the sample misled, a full bucket
 * histogram locates each rank's bucket and a refinement pass collects those. Memory: dense histograms per slice in
 * flight, and per finished slice a sparse histogram of its collected buckets; never a copy of the tensor.
 */
final class MagnitudeRanks {
    static final int BUCKETS = 1 << 15;

    /** The value at an ascending rank: its float bits, how many elements are smaller, equal, and equal before slice s. */
    record Threshold(int bits, long below, long equal, long[] equalBeforeSlice) {}

    /** Per-slice sparse histogram of the low 16 bits of each collected bucket. */
    record Refinement(int[] buckets, int[][] values, int[][] counts) {
        int position(int bucket) {
            for (int q = 0; q < buckets.length; q++) {
                if (buckets[q] == bucket) {
                    return q;
                }
            }
            throw new IllegalStateException("bucket " + bucket + " was not collected");
        }
    }

    /**
     * How far the candidates reach either side of a rank's estimate, in standard deviations of its position in the
     * sample: the sample is of whole blocks, whose values may be alike, so further than a random sample would need.
     */
    private static final double CANDIDATE_SIGMAS = 6;
    /** Buckets added beyond that reach on each side (a margin for the buckets' coarse edges). */
    private static final int CANDIDATE_SPREAD = 1;
    /** At most this many buckets either side of the estimate: beyond it a miss (two more passes) is cheaper. */
    private static final int MAX_CANDIDATE_REACH = 16;

    private long[] ranks;
    private final long n;
    private final long[] bucketCounts = new long[BUCKETS];
    private final long[] sampleCounts = new long[BUCKETS];
    private int[] candidates = new int[0];
    private int[] candidateRunStarts = new int[0];
    private long[] belowRuns = new long[0];
    private int[] refineBuckets;
    private Threshold[] thresholds;

    /**
     * @param n elements in the tensor
     * @param ranks ascending ranks (0-based) whose values are wanted
     */
    MagnitudeRanks(long n, long... ranks) {
        this.n = n;
        this.ranks = ranks.clone();
    }

    /**
     * Replaces the wanted ranks (ascending, each below n; none is allowed): for callers that know them only from what
     * a pass counted, e.g. a top-k among the non-zero values. Takes effect at the next {@link #endSample} or
     * {@link #endCount}.
     */
    void want(long... wanted) {
        this.ranks = wanted.clone();
    }

    long[] wanted() {
        return ranks.clone();
    }

    /** Folds bucket counts of a sampled slice (a cheap first look that guesses the threshold buckets). */
    synchronized void addSample(int[] counts) {
        add(sampleCounts, counts);
    }

    /**
     * Turns the sample into candidate buckets: the counting pass then also refines them, and when the true
     * threshold buckets are among them (nearly always on large tensors) the separate refinement pass is skipped.
     */
    void endSample() {
        long sampled = 0;
        for (long c : sampleCounts) {
            sampled += c;
        }
        java.util.TreeSet<Integer> picked = new java.util.TreeSet<>();
        for (long rank : ranks) {
            // The rank's position in the sample is binomial around p * sampled: take the buckets that hold it
            // within CANDIDATE_SIGMAS standard deviations.
            double p = Math.min(1, (double) rank / Math.max(1, n));
            double center = p * sampled;
            double reach = CANDIDATE_SIGMAS * Math.sqrt(p * (1 - p) * sampled) + 1;
            int estimate = sampleBucketAt(center);
            int from = Math.max(sampleBucketAt(center - reach) - CANDIDATE_SPREAD, estimate - MAX_CANDIDATE_REACH);
            int to = Math.min(sampleBucketAt(center + reach) + CANDIDATE_SPREAD, estimate + MAX_CANDIDATE_REACH);
            for (int b = Math.max(0, from); b <= Math.min(BUCKETS - 1, to); b++) {
                picked.add(b);
            }
        }
        candidates = picked.stream().mapToInt(Integer::intValue).toArray();
        candidateRunStarts = runStarts(candidates);
        belowRuns = new long[candidateRunStarts.length];
    }

    /** The bucket of the sampled element at (0-based, ascending) position {@code position}, clamped to the sample. */
    private int sampleBucketAt(double position) {
        long cumulative = 0;
        int last = BUCKETS - 1;
        for (int b = 0; b < BUCKETS; b++) {
            cumulative += sampleCounts[b];
            if (position < cumulative) {
                return b;
            }
            last = sampleCounts[b] > 0 ? b : last;
        }
        return last;
    }

    /**
     * The first bucket of each run of neighbouring candidates. The counting pass counts, per run, the elements below
     * it ({@link #countBelow}); with the candidates' own histograms that places every rank that falls inside a run
     * without counting any other bucket.
     */
    int[] candidateRunStarts() {
        return candidateRunStarts.clone();
    }

    /** The first bucket of each run of neighbours in distinct ascending buckets. */
    private static int[] runStarts(int[] sortedBuckets) {
        int runs = 0;
        for (int q = 0; q < sortedBuckets.length; q++) {
            runs += q == 0 || sortedBuckets[q] != sortedBuckets[q - 1] + 1 ? 1 : 0;
        }
        int[] starts = new int[runs];
        for (int q = 0, r = 0; q < sortedBuckets.length; q++) {
            if (q == 0 || sortedBuckets[q] != sortedBuckets[q - 1] + 1) {
                starts[r++] = sortedBuckets[q];
            }
        }
        return starts;
    }

    /** Adds, per run start, how many of {@code x[0, length)} lie in lower buckets (a vector compare, no histogram). */
    static void countBelow(long[] below, int[] runStarts, float[] x, int length) {
        for (int r = 0; r < runStarts.length; r++) {
            below[r] += MagnitudeKernel.countBelow(x, length, runStarts[r]);
        }
    }

    /** Folds one slice's {@link #countBelow} counts; integer sums, so the order of slices does not matter. */
    synchronized void addBelow(long[] below) {
        for (int r = 0; r < below.length; r++) {
            belowRuns[r] += below[r];
        }
    }

    /**
     * Pins every wanted rank from the counting pass alone, when each falls inside a run of candidates: the elements
     * below the run plus the candidates' collected histograms (one per slice, in slice order) locate it exactly.
     *
     * @return false when some rank lies outside every run (the sample misled): then a full count and a refinement pass
     *     ({@link #addCounts}, {@link #endCount}, {@link #collector}, {@link #endRefine}) find them instead
     */
    boolean endCountFromCandidates(List<Refinement> partials) {
        int[] starts = candidateRunStarts;
        Threshold[] found = new Threshold[ranks.length];
        for (int r = 0; r < ranks.length; r++) {
            for (int run = 0; run < starts.length && found[r] == null; run++) {
                found[r] = pinInRun(r, starts[run], belowRuns[run], partials);
            }
            if (found[r] == null) {
                return false;
            }
        }
        thresholds = found;
        return true;
    }

    /** The threshold of rank r if it falls in the run of candidates starting at {@code start}, else null. */
    private Threshold pinInRun(int r, int start, long belowRun, List<Refinement> partials) {
        if (ranks[r] < belowRun) {
            return null;
        }
        long below = belowRun;
        for (int bucket = start; Arrays.binarySearch(candidates, bucket) >= 0; bucket++) {
            long inBucket = 0;
            for (Refinement p : partials) {
                for (int c : p.counts()[p.position(bucket)]) {
                    inBucket += c;
                }
            }
            if (ranks[r] < below + inBucket) {
                return pin(r, bucket, below, partials);
            }
            below += inBucket;
        }
        return null;
    }

    int[] refineBuckets() {
        return java.util.Arrays.stream(refineBuckets).distinct().sorted().toArray();
    }

    /** Lanes of {@link #count}: consecutive elements go to different copies of the histogram. */
    static final int COUNT_LANES = 4;

    /**
     * Adds x's buckets to {@code counts} (COUNT_LANES × BUCKETS). Quantised deltas put runs of neighbours in the same
     * bucket; with a single histogram each increment would wait for the previous store to the same slot, so
     * neighbours are spread over independent copies, summed in {@link #addCounts}.
     */
    static void count(int[] counts, float[] x, int length) {
        int i = 0;
        for (; i + COUNT_LANES <= length; i += COUNT_LANES) {
            counts[(Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF) >>> 16]++;
            counts[BUCKETS + ((Float.floatToRawIntBits(x[i + 1]) & 0x7FFFFFFF) >>> 16)]++;
            counts[2 * BUCKETS + ((Float.floatToRawIntBits(x[i + 2]) & 0x7FFFFFFF) >>> 16)]++;
            counts[3 * BUCKETS + ((Float.floatToRawIntBits(x[i + 3]) & 0x7FFFFFFF) >>> 16)]++;
        }
        for (; i < length; i++) {
            counts[(Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF) >>> 16]++;
        }
    }

    /** Folds one slice's bucket counts into the total; integer sums, so the order of slices does not matter. */
    synchronized void addCounts(int[] counts) {
        add(bucketCounts, counts);
    }

    private static void add(long[] total, int[] counts) {
        for (int lane = 0; lane < counts.length / BUCKETS; lane++) {
            for (int b = 0; b < BUCKETS; b++) {
                total[b] += counts[lane * BUCKETS + b];
            }
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
     * Counts, for one slice, the low 16 bits of the elements that fall in the given buckets. Differences of BF16
     * weights take few distinct values, so a threshold bucket can hold a large share of a tensor: a dense histogram
     * per slice, compacted when the slice ends, costs one increment per element whatever that share.
     */
    static final class Collector {
        private final int[] buckets;
        private final int[] runFirst;
        private final int[] runSpan;
        private final int[][] dense;

        /** @param buckets ascending bucket numbers; each run of neighbours shares one dense histogram and one scan */
        Collector(int[] buckets) {
            this.buckets = buckets.clone();
            runFirst = runStarts(buckets);
            runSpan = new int[runFirst.length];
            for (int q = 0, r = -1; q < buckets.length; q++) {
                if (r + 1 < runFirst.length && buckets[q] == runFirst[r + 1]) {
                    r++;
                }
                runSpan[r]++;
            }
            dense = new int[runFirst.length][];
        }

        void accept(float[] x, int length) {
            for (int r = 0; r < runFirst.length; r++) {
                if (dense[r] == null) {
                    dense[r] = new int[runSpan[r] << 16];
                }
                int[] histogram = dense[r];
                MagnitudeKernel.forEachInBuckets(x, length, runFirst[r], runSpan[r], key -> histogram[key]++);
            }
        }

        Refinement finish() {
            int[][] values = new int[buckets.length][];
            int[][] counts = new int[buckets.length][];
            for (int q = 0; q < buckets.length; q++) {
                int r = runOf(buckets[q]);
                int[] h = dense[r];
                int base = (buckets[q] - runFirst[r]) << 16;
                int distinct = h == null ? 0 : MagnitudeKernel.nonZeros(h, base, 1 << 16);
                values[q] = new int[distinct];
                counts[q] = new int[distinct];
                if (distinct > 0) {
                    MagnitudeKernel.compactNonZeros(h, base, 1 << 16, values[q], counts[q]);
                }
            }
            java.util.Arrays.fill(dense, null);
            return new Refinement(buckets, values, counts);
        }

        private int runOf(int bucket) {
            for (int r = runFirst.length - 1; r >= 0; r--) {
                if (bucket >= runFirst[r]) {
                    return r;
                }
            }
            throw new IllegalStateException("bucket " + bucket + " not collected");
        }
    }

    /** A collector for the threshold buckets found by the counting pass. */
    Collector collector() {
        return new Collector(refineBuckets());
    }

    /** A collector for the sampled candidate buckets, used during the counting pass. */
    Collector candidateCollector() {
        return new Collector(candidates);
    }

    void endRefine(List<Refinement> partials) {
        thresholds = new Threshold[ranks.length];
        for (int r = 0; r < ranks.length; r++) {
            thresholds[r] = pin(r, partials);
        }
    }

    private Threshold pin(int r, List<Refinement> partials) {
        int bucket = refineBuckets[r];
        long below = 0;
        for (int b = 0; b < bucket; b++) {
            below += bucketCounts[b];
        }
        return pin(r, bucket, below, partials);
    }

    /** Rank r's value inside {@code bucket}, which has {@code below} elements in lower buckets. */
    private Threshold pin(int r, int bucket, long belowBucket, List<Refinement> partials) {
        long[] low = new long[1 << 16];
        for (Refinement p : partials) {
            int q = p.position(bucket);
            for (int j = 0; j < p.values()[q].length; j++) {
                low[p.values()[q][j]] += p.counts()[q][j];
            }
        }
        long below = belowBucket;
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
            int q = p.position(bucket);
            int at = Arrays.binarySearch(p.values()[q], value);
            running += at >= 0 ? p.counts()[q][at] : 0;
        }
        return new Threshold((bucket << 16) | value, below, low[value], before);
    }

    Threshold threshold(int r) {
        return thresholds[r];
    }
}
