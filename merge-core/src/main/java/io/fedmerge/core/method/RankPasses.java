package io.fedmerge.core.method;

import java.util.ArrayList;
import java.util.List;

/**
 * Exact magnitude thresholds of one tensor's value series (each contributor's delta, or one quantity derived from all
 * of them), found in as few streaming passes as the data allow ({@link MagnitudeRanks} does the counting):
 * <ol>
 * <li>a sample of one slice in {@link #SAMPLE_EVERY} builds a histogram of the magnitudes' upper 16 bits and guesses
 *     the buckets that hold the wanted ranks;</li>
 * <li>the counting pass collects the low 16 bits of the elements in those candidate buckets and, with one vector
 *     compare per element, how many lie below each run of candidates — enough to pin every rank that falls inside a
 *     run, which it nearly always does;</li>
 * <li>only for a series whose guess missed: a full histogram pass, then a refinement pass over the true buckets.</li>
 * </ol>
 * The caller says what a block's values are and which ranks it wants; {@link #threshold} answers once
 * {@link #nextPass} has run dry.
 */
final class RankPasses {
    /**
     * The sampling pass reads one block in this many of every slice (always a slice's first, so a tensor of one block
     * is read whole).
     */
    static final int SAMPLE_EVERY = 8;

    /** A series' values in one block: an array of the block already, or computed into {@code scratch}. */
    interface Values {
        float[] in(Slice block, int series, float[] scratch);
    }

    /**
     * The ascending ranks wanted of a series (none: nothing to find) when it holds {@code zeros} values that are
     * exactly zero: exact after the counting pass, an estimate from the sample before it.
     */
    interface Targets {
        long[] ranks(int series, long zeros);
    }

    private enum Stage { SAMPLE, COUNT, FULL_COUNT, REFINE, DONE }

    private final long n;
    private final Values values;
    private final Targets targets;
    private final boolean countsZeros;
    private final MagnitudeRanks[] ranks;
    private final boolean[] pinned;
    private Stage next = Stage.SAMPLE;

    /**
     * @param ranked which series are ranked at all; the others are never read
     * @param countsZeros whether the targets depend on the number of zeros (counting them costs a compare per value)
     */
    RankPasses(long n, boolean[] ranked, Values values, Targets targets, boolean countsZeros) {
        this.n = n;
        this.values = values;
        this.targets = targets;
        this.countsZeros = countsZeros;
        this.ranks = new MagnitudeRanks[ranked.length];
        this.pinned = new boolean[ranked.length];
        boolean any = false;
        for (int i = 0; i < ranked.length; i++) {
            if (ranked[i]) {
                ranks[i] = new MagnitudeRanks(n);
                any = true;
            }
        }
        if (!any) {
            next = Stage.DONE;
        }
    }

    /** The next pass, or null once every wanted threshold is pinned. */
    StatsPass<?> nextPass() {
        return switch (next) {
            case SAMPLE -> new Pass(Stage.SAMPLE);
            case COUNT -> new Pass(Stage.COUNT);
            case FULL_COUNT -> new Pass(Stage.FULL_COUNT);
            case REFINE -> new Pass(Stage.REFINE);
            case DONE -> null;
        };
    }

    /** The value at the r-th wanted rank of a series (in the order its targets gave them). */
    MagnitudeRanks.Threshold threshold(int series, int r) {
        return ranks[series].threshold(r);
    }

    /** The wanted ranks of a series as the counting pass fixed them. */
    long[] wanted(int series) {
        return ranks[series].wanted();
    }

    /** What one slice gathers in one stage, for every ranked series. */
    private final class SliceCounts implements SliceAccumulator {
        private final Stage stage;
        private final int[][] buckets;
        private final long[][] below;
        private final int[][] runStarts;
        private final long[] zeros;
        private final MagnitudeRanks.Collector[] collectors;
        private final MagnitudeRanks.Refinement[] refinements;
        private long seen;
        private float[] scratch = new float[0];

        SliceCounts(Stage stage) {
            this.stage = stage;
            int k = ranks.length;
            this.buckets = new int[k][];
            this.below = new long[k][];
            this.runStarts = new int[k][];
            this.zeros = new long[k];
            this.collectors = new MagnitudeRanks.Collector[k];
            this.refinements = new MagnitudeRanks.Refinement[k];
            for (int i = 0; i < k; i++) {
                if (!reads(i)) {
                    continue;
                }
                if (stage == Stage.COUNT) {
                    collectors[i] = ranks[i].candidateCollector();
                    runStarts[i] = ranks[i].candidateRunStarts();
                    below[i] = new long[runStarts[i].length];
                } else if (stage == Stage.REFINE) {
                    collectors[i] = ranks[i].collector();
                }
            }
        }

        /** Whether this stage reads series i at all: the last two only for series the counting pass left open. */
        private boolean reads(int i) {
            return ranks[i] != null && (stage == Stage.SAMPLE || stage == Stage.COUNT || !pinned[i]);
        }

        /** Whether this stage builds full bucket histograms. */
        private boolean histograms() {
            return stage == Stage.SAMPLE || stage == Stage.FULL_COUNT;
        }

        @Override
        public void accept(Slice block) {
            int len = block.length();
            if (scratch.length < len) {
                scratch = new float[len];
            }
            seen += len;
            for (int i = 0; i < ranks.length; i++) {
                if (!reads(i)) {
                    continue;
                }
                float[] x = values.in(block, i, scratch);
                if (histograms()) {
                    if (buckets[i] == null) { // allocated on first use
                        buckets[i] = new int[MagnitudeRanks.COUNT_LANES * MagnitudeRanks.BUCKETS];
                    }
                    MagnitudeRanks.count(buckets[i], x, len);
                }
                if (countsZeros && (stage == Stage.SAMPLE || stage == Stage.COUNT)) {
                    zeros[i] += zeros(x, len);
                }
                if (below[i] != null) {
                    MagnitudeRanks.countBelow(below[i], runStarts[i], x, len);
                }
                if (collectors[i] != null) {
                    collectors[i].accept(x, len);
                }
            }
        }

        @Override
        public void finish() {
            for (int i = 0; i < ranks.length; i++) {
                if (buckets[i] != null && stage == Stage.SAMPLE) {
                    ranks[i].addSample(buckets[i]);
                } else if (buckets[i] != null) {
                    ranks[i].addCounts(buckets[i]);
                }
                buckets[i] = null;
                if (below[i] != null) {
                    ranks[i].addBelow(below[i]);
                }
                if (collectors[i] != null) {
                    refinements[i] = collectors[i].finish();
                    collectors[i] = null;
                }
            }
        }
    }

    private static long zeros(float[] x, int length) {
        long z = 0;
        for (int j = 0; j < length; j++) {
            z += x[j] == 0 ? 1 : 0;
        }
        return z;
    }

    private final class Pass implements StatsPass<SliceCounts> {
        private final Stage stage;

        Pass(Stage stage) {
            this.stage = stage;
        }

        @Override
        public SliceCounts accumulator(int slice) {
            return new SliceCounts(stage);
        }

        @Override
        public int blockStride() {
            return stage == Stage.SAMPLE ? SAMPLE_EVERY : 1;
        }

        @Override
        public void end(List<SliceCounts> slices) {
            switch (stage) {
                case SAMPLE -> endSample(slices);
                case COUNT -> endCount(slices);
                case FULL_COUNT -> endFullCount();
                case REFINE -> endRefine(slices);
                case DONE -> throw new IllegalStateException("no pass after the last");
            }
        }
    }

    private void endSample(List<SliceCounts> slices) {
        long sampled = 0;
        for (SliceCounts s : slices) {
            sampled += s.seen;
        }
        for (int i = 0; i < ranks.length; i++) {
            if (ranks[i] == null) {
                continue;
            }
            long estimated = sampled == 0 ? 0 : (long) ((double) zerosOf(i, slices) / sampled * n);
            ranks[i].want(targets.ranks(i, estimated));
            ranks[i].endSample();
        }
        next = Stage.COUNT;
    }

    private void endCount(List<SliceCounts> slices) {
        boolean missed = false;
        for (int i = 0; i < ranks.length; i++) {
            if (ranks[i] == null) {
                continue;
            }
            ranks[i].want(targets.ranks(i, zerosOf(i, slices)));
            pinned[i] = ranks[i].endCountFromCandidates(refinementsOf(i, slices));
            missed |= !pinned[i];
        }
        next = missed ? Stage.FULL_COUNT : Stage.DONE;
    }

    private void endFullCount() {
        for (int i = 0; i < ranks.length; i++) {
            if (ranks[i] != null && !pinned[i]) {
                ranks[i].endCount();
            }
        }
        next = Stage.REFINE;
    }

    private void endRefine(List<SliceCounts> slices) {
        for (int i = 0; i < ranks.length; i++) {
            if (ranks[i] != null && !pinned[i]) {
                ranks[i].endRefine(refinementsOf(i, slices));
                pinned[i] = true;
            }
        }
        next = Stage.DONE;
    }

    private static long zerosOf(int series, List<SliceCounts> slices) {
        long zeros = 0;
        for (SliceCounts s : slices) {
            zeros += s.zeros[series];
        }
        return zeros;
    }

    private static List<MagnitudeRanks.Refinement> refinementsOf(int series, List<SliceCounts> slices) {
        List<MagnitudeRanks.Refinement> out = new ArrayList<>(slices.size());
        for (SliceCounts s : slices) {
            out.add(s.refinements[series]);
        }
        return out;
    }
}
