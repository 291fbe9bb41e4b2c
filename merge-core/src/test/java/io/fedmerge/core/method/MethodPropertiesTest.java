package io.fedmerge.core.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.fedmerge.core.tensor.CounterRng;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** The property tests of MERGE_METHODS §8 for the task-arithmetic family. */
class MethodPropertiesTest {
    private final MethodHarness harness = new MethodHarness();
    private final SplittableRandom rnd = new SplittableRandom(11);

    private float[] randomVector(int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian() * scale);
        }
        return v;
    }

    private List<MethodHarness.Contributor> contributors(int n, Map<String, Object> params) {
        return List.of(new MethodHarness.Contributor("a", params, randomVector(n, 0.1)),
                new MethodHarness.Contributor("b", params, randomVector(n, 0.1)),
                new MethodHarness.Contributor("c", params, randomVector(n, 0.1)));
    }

    private static void assertClose(float[] a, float[] b, double tol) {
        for (int i = 0; i < a.length; i++) {
            assertThat((double) a[i]).as("element %d", i).isCloseTo(b[i], within(tol));
        }
    }

    @Test
    void linearAndTaskArithmeticAgreeWithComplementaryWeights() {
        float[] base = randomVector(500, 1);
        float[] da = randomVector(500, 0.1);
        float[] db = randomVector(500, 0.1);
        List<MethodHarness.Contributor> c = List.of(new MethodHarness.Contributor("a", Map.of("weight", 0.3), da),
                new MethodHarness.Contributor("b", Map.of("weight", 0.7), db));
        assertClose(harness.run("linear", base, c, Map.of()), harness.run("task_arithmetic", base, c, Map.of()), 1e-6);
        assertClose(harness.run("linear", base, c, Map.of()),
                harness.run("task_arithmetic", base, c, Map.of("normalize", true)), 1e-6);
    }

    @Test
    void sparsifiersAtFullDensityReduceToTaskArithmeticOrTies() {
        float[] base = randomVector(400, 1);
        List<MethodHarness.Contributor> c = contributors(400, Map.of("weight", 0.4, "density", 1.0));
        float[] ta = harness.run("task_arithmetic", base, c, Map.of());
        assertClose(harness.run("dare_linear", base, c, Map.of()), ta, 1e-6);
        assertClose(harness.run("breadcrumbs", base, c, Map.of()), ta, 1e-6);
        float[] ties = harness.run("ties", base, c, Map.of("normalize", false));
        assertClose(harness.run("dare_ties", base, c, Map.of()), ties, 1e-6);
        assertClose(harness.run("breadcrumbs_ties", base, c, Map.of()), ties, 1e-6);
    }

    @Test
    void resultsAreIdenticalForAnyThreadCountAndSlicing() throws Exception {
        int n = 5000;
        float[] base = randomVector(n, 1);
        for (String method : List.of("ties", "dare_ties", "breadcrumbs_ties")) {
            Map<String, Object> params = method.startsWith("breadcrumbs")
                    ? Map.of("weight", 0.3, "density", 0.5, "gamma", 0.05) : Map.of("weight", 0.3, "density", 0.5);
            List<MethodHarness.Contributor> c = contributors(n, params);
            Map<String, Object> global = method.equals("dare_ties") ? Map.of("random_seed", 5.0) : Map.of();
            float[] reference = harness.run(method, base, new long[] {n}, c, global, "t", 1 << 20, null);
            for (int threads : new int[] {2, 16}) {
                try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
                    for (int slice : new int[] {1, 7, 64, 1000}) {
                        float[] out = harness.run(method, base, new long[] {n}, c, global, "t", slice, pool);
                        assertThat(out).as("%s threads=%d slice=%d", method, threads, slice).containsExactly(reference);
                    }
                }
            }
        }
    }

    @Test
    void dareKeepsTheRequestedFractionAndRescalesByL1() {
        int n = 1_000_000;
        float[] delta = randomVector(n, 1);
        float[] base = new float[n];
        List<MethodHarness.Contributor> one = List.of(
                new MethodHarness.Contributor("h", Map.of("weight", 1.0, "density", 0.6), delta));
        float[] out = harness.run("dare_linear", base, new long[] {n}, one, Map.of("random_seed", 9.0), "big", 1 << 16,
                null);
        long kept = 0;
        double l1In = 0;
        double l1Out = 0;
        for (int i = 0; i < n; i++) {
            kept += out[i] != 0 ? 1 : 0;
            l1In += Math.abs(delta[i]);
            l1Out += Math.abs(out[i]);
        }
        assertThat(kept / (double) n).isCloseTo(0.6, within(0.003));
        assertThat(l1Out).isCloseTo(l1In, within(l1In * 1e-4));
        // The factor applied to survivors is ‖Δ‖₁/‖Δ'‖₁, within 1% of 1/0.6.
        CounterRng rng = CounterRng.forTensor(9, "big", "h");
        double survivorsL1 = 0;
        for (int i = 0; i < n; i++) {
            survivorsL1 += rng.uniform(i) < 0.6 ? Math.abs(delta[i]) : 0;
        }
        assertThat(l1In / survivorsL1).isCloseTo(1 / 0.6, within(0.01 / 0.6));
    }

    @Test
    void breadcrumbsPaperSettingOnBc4KeepsExactlyFloorDn() {
        float[] v = new float[200];
        for (int k = 0; k < 200; k++) {
            v[k] = (float) ((k % 2 == 0 ? 1 : -1) * (((37 * k) % 200) + 1) / 256.0);
        }
        List<MethodHarness.Contributor> one = List.of(
                new MethodHarness.Contributor("h", Map.of("weight", 1.0, "density", 0.9, "gamma", 0.01), v));
        float[] out = harness.run("breadcrumbs", new float[200], one, Map.of());
        int kept = 0;
        double sum = 0;
        double abs = 0;
        for (float x : out) {
            kept += x != 0 ? 1 : 0;
            sum += x;
            abs += Math.abs(x);
        }
        assertThat(kept).isEqualTo(180);
        assertThat(sum).isCloseTo(-0.3515625, within(1e-9));
        assertThat(abs).isCloseTo(76.2890625, within(1e-9));
        for (int zeroed : new int[] {0, 11, 22, 27, 38, 49, 54, 65, 76, 92, 103, 119, 130, 141, 146, 157, 168, 173, 184,
                195}) {
            assertThat(out[zeroed]).isZero();
        }
    }

    @Test
    void tiesTruncatesDensityTimesNDownward() {
        float[] v = new float[200];
        for (int k = 0; k < 200; k++) {
            v[k] = (float) ((k % 2 == 0 ? 1 : -1) * (((37 * k) % 200) + 1) / 256.0);
        }
        for (double[] dk : new double[][] {{0.6, 120}, {0.29, 57}}) {
            List<MethodHarness.Contributor> one = List.of(
                    new MethodHarness.Contributor("h", Map.of("weight", 1.0, "density", dk[0]), v));
            float[] out = harness.run("ties", new float[200], one, Map.of());
            long kept = 0;
            for (float x : out) {
                kept += x != 0 ? 1 : 0;
            }
            assertThat(kept).as("density %s", dk[0]).isEqualTo((long) dk[1]);
        }
    }

    @Test
    void equalMagnitudesKeepTheLowestIndices() {
        float[] v = new float[10];
        java.util.Arrays.fill(v, 0.5f);
        List<MethodHarness.Contributor> one = List.of(
                new MethodHarness.Contributor("h", Map.of("weight", 1.0, "density", 0.3), v));
        float[] out = harness.run("ties", new float[10], new long[] {10}, one, Map.of(), "t", 3, null);
        assertThat(out).containsExactly(0.5f, 0.5f, 0.5f, 0, 0, 0, 0, 0, 0, 0);
        List<MethodHarness.Contributor> crumbs = List.of(
                new MethodHarness.Contributor("h", Map.of("weight", 1.0, "density", 0.6, "gamma", 0.2), v));
        float[] bc = harness.run("breadcrumbs", new float[10], new long[] {10}, crumbs, Map.of(), "t", 4, null);
        assertThat(bc).containsExactly(0, 0, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0, 0);
    }

    @Test
    void densityTooSmallForTheTensorDropsTheDeltaWithAWarning() {
        float[] base = {1, 2, 3};
        List<MethodHarness.Contributor> one = List.of(
                new MethodHarness.Contributor("h", Map.of("weight", 1.0, "density", 0.2), new float[] {1, 1, 1}));
        assertThat(harness.run("ties", base, one, Map.of())).containsExactly(1, 2, 3);
        assertThat(harness.warnings).anyMatch(w -> w.contains("keeps no element of 3"));
    }

    @Test
    void hierarchicalRevertsToTheBaseForOpposedDeltasAndAddsASingleDelta() {
        float[] base = randomVector(300, 1);
        float[] d = randomVector(300, 0.1);
        float[] minus = new float[300];
        float[] single = new float[300];
        for (int i = 0; i < 300; i++) {
            minus[i] = -d[i];
            single[i] = base[i] + d[i];
        }
        Map<String, Object> g = Map.of("granularity", "tensor");
        float[] opposed = harness.run("hierarchical_cosine_ot_lerp", base, List.of(
                new MethodHarness.Contributor("a", Map.of("weight", 0.5), d),
                new MethodHarness.Contributor("b", Map.of("weight", 0.5), minus)), g);
        assertThat(opposed).containsExactly(base);
        assertThat(harness.reports.getLast().weight()).isZero();
        assertThat(harness.reports.getLast().cosine()).isCloseTo(-1, within(1e-12));
        float[] one = harness.run("hierarchical_cosine_ot_lerp", base, List.of(
                new MethodHarness.Contributor("a", Map.of("weight", 0.7), d)), g);
        assertClose(one, single, 1e-6);
    }

    @Test
    void dellaKeepsDOnAverageInEveryRow() {
        int rows = 40;
        int cols = 5000;
        float[] delta = randomVector(rows * cols, 1);
        List<MethodHarness.Contributor> one = List.of(new MethodHarness.Contributor("h",
                Map.of("weight", 1.0, "density", 0.6, "epsilon", 0.1), delta));
        float[] out = harness.run("della_linear", new float[rows * cols], new long[] {rows, cols}, one,
                Map.of("random_seed", 3.0), "w", 1 << 20, null);
        for (int r = 0; r < rows; r++) {
            int kept = 0;
            for (int c = 0; c < cols; c++) {
                kept += out[r * cols + c] != 0 ? 1 : 0;
            }
            assertThat(kept / (double) cols).as("row %d", r).isCloseTo(0.6, within(0.03));
        }
    }

    @Test
    void dellaRejectsAWindowOutsideZeroOne() {
        List<MethodHarness.Contributor> one = List.of(new MethodHarness.Contributor("hosp-x",
                Map.of("weight", 1.0, "density", 0.9, "epsilon", 0.15), new float[] {1, 2}));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> harness.run("della", new float[2], one, Map.of()))
                .hasMessageContainingAll("model hosp-x", "density 0.9", "epsilon 0.15", "lower epsilon");
    }

    @Test
    void slerpOfColinearAndOrthogonalVectors() {
        float[] base = {1, 2, -3};
        float[] delta = {1, 2, -3}; // θ₁ = 2θ₀: colinear, plain lerp
        float[] out = harness.run("slerp", base, List.of(new MethodHarness.Contributor("a", Map.of(), delta)),
                Map.of("t", 0.5));
        assertThat(out).containsExactly(1.5f, 3f, -4.5f);
        float[] orth = harness.run("slerp", new float[] {1, 0}, List.of(new MethodHarness.Contributor("a", Map.of(),
                new float[] {-1, 1})), Map.of("t", 0.5));
        assertClose(orth, new float[] {0.7071068f, 0.7071068f}, 1e-6);
    }

    @Test
    void breadcrumbsWithoutATopCutKeepsAllButTheSmallest() {
        // §7: d = 0.9, γ = 0.01 on 8 elements gives nTop = 0; mergekit's slice bug would drop the whole delta.
        float[] a = {0.5f, -0.25f, 0.0f, 0.75f, -0.125f, 0.375f, -1.0f, 0.0625f};
        float[] out = harness.run("breadcrumbs", new float[8], List.of(new MethodHarness.Contributor("a",
                Map.of("weight", 1.0, "density", 0.9, "gamma", 0.01), a)), Map.of());
        assertThat(out).containsExactly(0.5f, -0.25f, 0.0f, 0.75f, -0.125f, 0.375f, -1.0f, 0.0625f);
        float[] c = {0.125f, 0.25f, -0.5f, -0.875f, 0.0625f, 0.3125f, -0.4375f, 0.5625f};
        float[] outC = harness.run("breadcrumbs", new float[8], List.of(new MethodHarness.Contributor("c",
                Map.of("weight", 1.0, "density", 0.9, "gamma", 0.01), c)), Map.of());
        assertThat(outC[4]).isZero(); // only the smallest magnitude (0.0625) is dropped
        assertThat(java.util.stream.IntStream.range(0, 8).filter(i -> outC[i] != 0).count()).isEqualTo(7);
    }

    @Test
    void dellaRowsOfOneElementUseTheDensityAndThreeDTensorsRankByFirstDimension() {
        // §7: rows of one element (shape [n, 1]) get p = d instead of mergekit's 0/0.
        int n = 20_000;
        float[] d = randomVector(n, 1);
        float[] single = harness.run("della_linear", new float[n], new long[] {n, 1}, List.of(
                new MethodHarness.Contributor("h", Map.of("weight", 1.0, "density", 0.5, "epsilon", 0.1), d)),
                Map.of("random_seed", 1.0, "rescale", false), "w", 1 << 20, null);
        CounterRng rng = CounterRng.forTensor(1, "w", "h");
        for (int i = 0; i < n; i++) {
            assertThat(single[i] != 0).isEqualTo(rng.uniform(i) < 0.5);
        }
        // 3-D [2, 3, 4]: rows are the first dimension (12 elements each), so ranks span 12 elements.
        float[] x = new float[24];
        for (int i = 0; i < 24; i++) {
            x[i] = i + 1;
        }
        float[] threeD = harness.run("della_linear", new float[24], new long[] {2, 3, 4}, List.of(
                new MethodHarness.Contributor("h", Map.of("weight", 1.0, "density", 0.5, "epsilon", 0.4), x)),
                Map.of("random_seed", 2.0, "rescale", false), "t3", 1 << 20, null);
        CounterRng r3 = CounterRng.forTensor(2, "t3", "h");
        for (int i = 0; i < 24; i++) {
            double p = 0.1 + 0.8 * (i % 12) / 11.0; // ascending magnitudes within each 12-element row
            assertThat(threeD[i] != 0).as("element %d", i).isEqualTo(r3.uniform(i) < p);
        }
    }

    @Test
    void rescaleModeInverseDensityDividesSurvivorsByD() {
        float[] a = {0.5f, -0.25f, 0.0f, 0.75f, -0.125f, 0.375f, -1.0f, 0.0625f};
        float[] out = harness.run("dare_linear", new float[8], new long[] {8}, List.of(new MethodHarness.Contributor(
                "hosp-a", Map.of("weight", 1.0, "density", 0.6), a)), Map.of("random_seed", 7.0, "rescale_mode",
                "inverse_density"), "ex.weight", 1 << 20, null);
        double[] expected = {0.8333333, -0.4166667, 0, 1.25, -0.2083333, 0, -1.6666667, 0.1041667};
        for (int i = 0; i < 8; i++) {
            assertThat((double) out[i]).isCloseTo(expected[i], within(1e-6));
        }
    }
}
