package io.fedmerge.core.method;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.plan.TensorMergeRunner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * RankPasses driven by the real runner on a multi-slice tensor with a thread pool: how many passes it asks for (the
 * refinement only when the sample guessed wrong), and that every threshold is the one a full sort gives.
 */
class RankPassesTest {
    private static final int N = 64 * 1_024;
    private static final int SLICE = 1_024;
    private static final int BLOCK = 64;
    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    @Test
    void aRepresentativeSampleSkipsTheRefinementPass() {
        float[][] series = {MagnitudeRanksTest.values(N, 1), MagnitudeRanksTest.values(N, 2)};
        long[][] wanted = {{1_000, 50_000}, {N - 10}};
        Run run = rank(series, wanted);
        assertThat(run.passes).as("sample, count").isEqualTo(2);
        assertExact(run.ranks, series, wanted);
    }

    @Test
    void aSampleThatMissesCostsAFullCountAndARefinementPassAndStaysExact() {
        float[] x = MagnitudeRanksTest.values(N, 3);
        for (int j = 0; j < N; j++) {
            if (j % SLICE / BLOCK % RankPasses.SAMPLE_EVERY == 0) {
                x[j] *= 1_000; // only the sampled blocks hold large values: the guess lands far too high
            }
        }
        float[][] series = {x};
        long[][] wanted = {{N / 2}};
        Run run = rank(series, wanted);
        assertThat(run.passes).as("sample, count, full count, refine").isEqualTo(4);
        assertExact(run.ranks, series, wanted);
    }

    @Test
    void targetsThatDependOnZerosGetTheExactCountAfterCounting() {
        float[] x = MagnitudeRanksTest.values(N, 4);
        long zeros = 0;
        for (float v : x) {
            zeros += v == 0 ? 1 : 0;
        }
        assertThat(zeros).as("the fixture has zeros").isPositive();
        List<Long> seen = new ArrayList<>();
        long exactZeros = zeros;
        RankPasses ranks = new RankPasses(N, new boolean[] {true}, (block, i, scratch) -> block.deltas()[i],
                (i, z) -> {
                    seen.add(z);
                    return new long[] {z + (N - z) / 2}; // the median of the non-zero magnitudes
                }, true);
        int passes = drive(ranks, new float[][] {x});
        assertThat(passes).isGreaterThanOrEqualTo(2);
        assertThat(seen.getLast()).isEqualTo(exactZeros);
        assertExact(ranks, new float[][] {x}, new long[][] {{exactZeros + (N - exactZeros) / 2}});
    }

    @Test
    void aSeriesThatWantsNothingIsPinnedWithoutThresholds() {
        RankPasses ranks = new RankPasses(N, new boolean[] {true}, (block, i, scratch) -> block.deltas()[i],
                (i, z) -> new long[0], false);
        assertThat(drive(ranks, new float[][] {MagnitudeRanksTest.values(N, 5)})).isEqualTo(2);
        assertThat(ranks.wanted(0)).isEmpty();
    }

    @Test
    void nothingRankedNeedsNoPass() {
        RankPasses ranks = new RankPasses(N, new boolean[] {false, false}, (block, i, scratch) -> block.deltas()[i],
                (i, z) -> new long[] {0}, false);
        assertThat(ranks.nextPass()).isNull();
    }

    private record Run(RankPasses ranks, int passes) {}

    private Run rank(float[][] series, long[][] wanted) {
        boolean[] ranked = new boolean[series.length];
        Arrays.fill(ranked, true);
        RankPasses ranks = new RankPasses(N, ranked, (block, i, scratch) -> block.deltas()[i], (i, z) -> wanted[i],
                false);
        return new Run(ranks, drive(ranks, series));
    }

    /** Runs the passes through the real runner (the merge pass writes nothing) and counts them. */
    private int drive(RankPasses ranks, float[][] series) {
        int[] passes = {0};
        TensorMerge merge = new TensorMerge() {
            @Override
            public StatsPass<?> nextPass() {
                StatsPass<?> p = ranks.nextPass();
                passes[0] += p == null ? 0 : 1;
                return p;
            }

            @Override
            public BlockMerger merger(int slice) {
                return (block, out) -> {};
            }
        };
        float[] base = new float[N];
        new TensorMergeRunner(pool, SLICE, BLOCK).run(merge, N, 0, series.length,
                (first, length, arena) -> (offset, len, b, d) -> {
                    System.arraycopy(base, (int) first + offset, b, 0, len);
                    for (int i = 0; i < series.length; i++) {
                        System.arraycopy(series[i], (int) first + offset, d[i], 0, len);
                    }
                },
                (first, values, len) -> {});
        return passes[0];
    }

    private static void assertExact(RankPasses ranks, float[][] series, long[][] wanted) {
        for (int i = 0; i < series.length; i++) {
            float[] sorted = new float[series[i].length];
            for (int j = 0; j < sorted.length; j++) {
                sorted[j] = Math.abs(series[i][j]);
            }
            Arrays.sort(sorted);
            for (int r = 0; r < wanted[i].length; r++) {
                MagnitudeRanks.Threshold t = ranks.threshold(i, r);
                float value = sorted[(int) wanted[i][r]];
                long below = 0;
                long equal = 0;
                for (float v : sorted) {
                    below += v < value ? 1 : 0;
                    equal += v == value ? 1 : 0;
                }
                assertThat(Float.intBitsToFloat(t.bits())).as("series %d rank %d", i, wanted[i][r]).isEqualTo(value);
                assertThat(t.below()).isEqualTo(below);
                assertThat(t.equal()).isEqualTo(equal);
                long running = 0;
                for (int slice = 0; slice < N / SLICE; slice++) {
                    assertThat(t.equalBeforeSlice()[slice]).as("ties before slice %d", slice).isEqualTo(running);
                    for (int j = slice * SLICE; j < (slice + 1) * SLICE; j++) {
                        running += Math.abs(series[i][j]) == value ? 1 : 0;
                    }
                }
            }
        }
    }
}
