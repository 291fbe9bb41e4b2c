package io.fedmerge.core.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The worked examples of MERGE_METHODS §6 on the §4 fixture. */
class BeyondThePaperVectorsTest {
    static final float[] BASE = {1.0f, -2.0f, 0.5f, 3.0f, -1.0f, 0.0f, 2.0f, -0.5f};
    static final float[] A = {0.5f, -0.25f, 0.0f, 0.75f, -0.125f, 0.375f, -1.0f, 0.0625f};
    static final float[] B = {-0.25f, -0.5f, 0.125f, 0.625f, 0.1875f, -0.375f, -0.75f, 0.0f};
    static final float[] C = {0.125f, 0.25f, -0.5f, -0.875f, 0.0625f, 0.3125f, -0.4375f, 0.5625f};

    private final MethodHarness harness = new MethodHarness();

    private static MethodHarness.Contributor c(String id, float[] d, Map<String, Object> p) {
        return new MethodHarness.Contributor(id, p, d);
    }

    private static void assertVector(float[] actual, double... expected) {
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("element %d", i).isCloseTo(expected[i], within(1e-6));
        }
    }

    @Test
    void nuslerp() {
        float[] out = harness.run("nuslerp", BASE, List.of(c("a", A, Map.of("weight", 1.0)),
                c("b", B, Map.of("weight", 1.0))), Map.of());
        assertVector(out, 1.1392125, -2.4176373, 0.5696062, 3.7656684, -0.9651969, 0.0, 1.0255127, -0.4651969);
    }

    @Test
    void multislerp() {
        float[] out = harness.run("multislerp", BASE, List.of(c("a", A, Map.of("weight", 0.5)),
                c("b", B, Map.of("weight", 0.3)), c("c", C, Map.of("weight", 0.2))), Map.of());
        assertVector(out, 1.2464557, -2.3234296, 0.4151079, 3.5293787, -0.9769549, 0.1604762, 0.874668, -0.2985556);
    }

    /** KA1 is the mean of the three models themselves: a config without base_model. */
    @Test
    void karcher() {
        float[] out = harness.runWithoutBase("karcher", List.of(plus(BASE, A), plus(BASE, B), plus(BASE, C)),
                Map.of());
        assertVector(out, 1.1701705, -2.2110679, 0.3465266, 3.1771629, -0.9957741, 0.130399, 1.3619914, -0.2618264);
    }

    /**
     * With base_model the base is one of the averaged models, as mergekit-yaml does it (mergekit's test of karcher
     * sets one). Expected values: mergekit's own karcher_merge_tensors on (θa, θb, θc, θ₀), computed in float64.
     */
    @Test
    void karcherWithABaseAveragesTheBaseToo() {
        float[] out = harness.run("karcher", BASE, List.of(c("a", A, Map.of()), c("b", B, Map.of()),
                c("c", C, Map.of())), Map.of());
        assertVector(out, 1.1305788, -2.1641376, 0.386516, 3.1419398, -0.9997539, 0.0977976, 1.5271613, -0.3230084);
        float[] one = harness.run("karcher", BASE, List.of(c("a", A, Map.of())), Map.of());
        assertVector(one, 1.2529863, -2.1465435, 0.5066835, 3.3995297, -1.0732717, 0.1797145, 1.5474951, -0.476731);
    }

    private static float[] plus(float[] x, float[] y) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] + y[i];
        }
        return out;
    }

    @Test
    void modelStock() {
        float[] out = harness.run("model_stock", BASE, List.of(c("a", A, Map.of()), c("b", B, Map.of()),
                c("c", C, Map.of())), Map.of());
        assertVector(out, 1.0247332, -2.0329776, 0.4752668, 3.0329776, -0.9917556, 0.020611, 1.855723, -0.458778);
    }

    @Test
    void sce() {
        float[] out = harness.run("sce", BASE, List.of(c("a", A, Map.of()), c("b", B, Map.of()),
                c("c", C, Map.of())), Map.of());
        assertVector(out, 1.3291535, -2.3543065, 0.0, 3.6978469, -0.8798671, 0.3465256, 1.2545114, -0.2097048);
    }

    @Test
    void sceTopKKeepsTheHighestVariancePositions() {
        float[] out = harness.run("sce", BASE, List.of(c("a", A, Map.of()), c("b", B, Map.of()),
                c("c", C, Map.of())), Map.of("select_topk", 0.25));
        int changed = 0;
        for (int i = 0; i < BASE.length; i++) {
            changed += out[i] != BASE[i] ? 1 : 0;
        }
        assertThat(changed).isEqualTo(2); // floor(0.25 · 8 non-zero variances)
        assertThat(out[3]).isNotEqualTo(BASE[3]); // index 3 varies most (0.75, 0.625, -0.875)
    }

    @Test
    void nearswap() {
        float[] out = harness.run("nearswap", BASE, List.of(c("a", A, Map.of())), Map.of("t", 0.3));
        assertVector(out, 1.3, -2.25, 0.5, 3.3, -1.125, 0.3, 1.7, -0.4375);
    }

    @Test
    void passthroughCopiesAndScales() {
        float[] out = harness.run("passthrough", BASE, List.of(c("a", A, Map.of("scale", 2.0))), Map.of());
        for (int i = 0; i < BASE.length; i++) {
            assertThat(out[i]).isEqualTo(2 * (BASE[i] + A[i]));
        }
    }

    @Test
    void preconditionsNameTheProblem() {
        assertThatThrownBy(() -> harness.run("slerp", BASE, List.of(c("a", A, Map.of()), c("b", B, Map.of())),
                Map.of("t", 0.5))).hasMessageContainingAll("exactly one other model", "2 are listed", "nuslerp");
        assertThatThrownBy(() -> harness.run("nuslerp", BASE, List.of(c("a", A, Map.of("weight", 1.0))), Map.of()))
                .hasMessageContaining("exactly two models");
        assertThatThrownBy(() -> harness.run("model_stock", BASE, List.of(c("a", A, Map.of())), Map.of()))
                .hasMessageContaining("at least two models");
        assertThatThrownBy(() -> harness.run("passthrough", BASE, List.of(c("a", A, Map.of()), c("b", B, Map.of())),
                Map.of())).hasMessageContaining("exactly one model");
        assertThatThrownBy(() -> harness.run("hierarchical_cosine_ot_lerp", BASE, List.of(c("a", A, Map.of())),
                Map.of("min_weight", 1.5))).hasMessageContaining("parameter 'min_weight' in parameters is 1.5");
    }
}
