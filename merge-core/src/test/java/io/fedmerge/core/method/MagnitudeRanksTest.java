package io.fedmerge.core.method;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The two ways MagnitudeRanks pins a threshold: from the candidate buckets the sample guessed and the counts below
 * them (the usual case) and, when the guess misses, from a full histogram and a separate refinement pass. Both must
 * give the value a full sort gives.
 */
class MagnitudeRanksTest {
    private static final int SLICE = 1_000;

    @Test
    void aSampleThatGuessesRightPinsEveryRankInTheCountingPass() {
        float[] x = values(10_000, 1);
        MagnitudeRanks ranks = new MagnitudeRanks(x.length, 2_500, 9_000);
        ranks.addSample(counts(x, 0, x.length)); // the sample is the whole tensor: the guess cannot miss
        ranks.endSample();
        assertThat(ranks.endCountFromCandidates(countingPass(ranks, x))).isTrue();
        assertExact(ranks, x, 2_500, 9_000);
    }

    @Test
    void aSampleThatMissesFallsBackToAFullCountAndARefinementPass() {
        float[] x = values(10_000, 2);
        MagnitudeRanks ranks = new MagnitudeRanks(x.length, 2_500, 9_000);
        // a misleading sample: only huge magnitudes, so every candidate bucket lies far above the real thresholds
        float[] decoy = new float[SLICE];
        Arrays.fill(decoy, 1e30f);
        ranks.addSample(counts(decoy, 0, decoy.length));
        ranks.endSample();
        assertThat(ranks.endCountFromCandidates(countingPass(ranks, x))).as("the forced miss").isFalse();
        for (int at = 0; at < x.length; at += SLICE) {
            ranks.addCounts(counts(x, at, SLICE));
        }
        ranks.endCount();
        List<MagnitudeRanks.Refinement> refined = new ArrayList<>();
        for (int at = 0; at < x.length; at += SLICE) {
            MagnitudeRanks.Collector c = ranks.collector();
            c.accept(Arrays.copyOfRange(x, at, at + SLICE), SLICE);
            refined.add(c.finish());
        }
        ranks.endRefine(refined);
        assertExact(ranks, x, 2_500, 9_000);
    }

    /** Counts below the candidate runs and collects the candidate buckets per slice, as the counting pass does. */
    private static List<MagnitudeRanks.Refinement> countingPass(MagnitudeRanks ranks, float[] x) {
        List<MagnitudeRanks.Refinement> partials = new ArrayList<>();
        int[] starts = ranks.candidateRunStarts();
        for (int at = 0; at < x.length; at += SLICE) {
            float[] slice = Arrays.copyOfRange(x, at, at + SLICE);
            long[] below = new long[starts.length];
            MagnitudeRanks.countBelow(below, starts, slice, SLICE);
            ranks.addBelow(below);
            MagnitudeRanks.Collector c = ranks.candidateCollector();
            c.accept(slice, SLICE);
            partials.add(c.finish());
        }
        return partials;
    }

    private static void assertExact(MagnitudeRanks ranks, float[] x, long... wanted) {
        float[] sorted = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            sorted[i] = Math.abs(x[i]);
        }
        Arrays.sort(sorted);
        for (int r = 0; r < wanted.length; r++) {
            MagnitudeRanks.Threshold t = ranks.threshold(r);
            float value = sorted[(int) wanted[r]];
            assertThat(Float.intBitsToFloat(t.bits())).as("value at rank %d", wanted[r]).isEqualTo(value);
            long below = 0;
            long equal = 0;
            for (float v : sorted) {
                below += v < value ? 1 : 0;
                equal += v == value ? 1 : 0;
            }
            assertThat(t.below()).isEqualTo(below);
            assertThat(t.equal()).isEqualTo(equal);
        }
    }

    /** Quantised values, as differences of BF16 weights are: many ties, several per bucket, some zeros. */
    static float[] values(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (random.nextInt(2_001) - 1_000) / 4096f;
        }
        return x;
    }

    private static int[] counts(float[] x, int from, int length) {
        int[] counts = new int[MagnitudeRanks.COUNT_LANES * MagnitudeRanks.BUCKETS];
        MagnitudeRanks.count(counts, Arrays.copyOfRange(x, from, from + length), length);
        return counts;
    }
}
