package io.fedmerge.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** MERGE_METHODS appendix B. */
class CounterRngTest {
    @Test
    void seedZeroMatchesTheVector() {
        assertDraws(new CounterRng(0), 0.8833108082136426, 0.43152799704850997, 0.026433771592597743,
                0.9708819781538285);
    }

    @Test
    void hashedSeedsMatchTheVectors() {
        assertThat(CounterRng.streamSeed(42, "model.layers.0.mlp.down_proj.weight", "hospital-a"))
                .isEqualTo(-7410794754306031281L).isEqualTo(0x9927916F5E42C14FL);
        assertDraws(CounterRng.forTensor(42, "model.layers.0.mlp.down_proj.weight", "hospital-a"),
                0.4056161807814026, 0.13516201657830518, 0.18536272938397802, 0.3826993571435596);
        assertThat(CounterRng.streamSeed(7, "ex.weight", "hosp-a")).isEqualTo(-1769304060784742989L);
        assertThat(CounterRng.streamSeed(7, "ex.weight", "hosp-b")).isEqualTo(-8845627236676026457L);
        assertThat(CounterRng.streamSeed(7, "ex.weight", "hosp-c")).isEqualTo(-7672169202118312373L);
        assertThat(CounterRng.streamSeed(7, "ex2d.weight", "hosp-a")).isEqualTo(4286464256140692985L);
        assertThat(CounterRng.streamSeed(7, "ex2d.weight", "hosp-b")).isEqualTo(5749329253032229913L);
        assertThat(CounterRng.streamSeed(7, "ex2d.weight", "hosp-c")).isEqualTo(-1465434400365074014L);
        assertDraws(CounterRng.forTensor(7, "ex2d.weight", "hosp-c"), 0.4060685671748181, 0.22405623567600153,
                0.9286160560518991, 0.2718276618159726);
    }

    @Test
    void equalsSplittableRandomForAnyPosition() {
        long seed = CounterRng.streamSeed(3, "x", "y");
        SplittableRandom reference = new SplittableRandom(seed);
        CounterRng rng = new CounterRng(seed);
        for (int k = 0; k < 10_000; k++) {
            assertThat(rng.uniform(k)).isEqualTo(reference.nextDouble());
        }
    }

    private static void assertDraws(CounterRng rng, double... expected) {
        for (int k = 0; k < expected.length; k++) {
            assertThat(rng.uniform(k)).isEqualTo(expected[k]);
        }
    }
}
