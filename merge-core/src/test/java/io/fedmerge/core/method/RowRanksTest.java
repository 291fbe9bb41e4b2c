package io.fedmerge.core.method;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * RowRanks against the definition (a sort of packed (|x| bits, index) longs) on the rows that stress its shortcut:
 * ties, zeros, runs of magnitudes that share their upper bits (short ones ordered by insertion, long ones by the
 * fallback sort), a single element, and rows long enough that the index takes 14 bits.
 */
class RowRanksTest {

    private static int[] reference(float[] x, int from, int m) {
        long[] keys = new long[m];
        for (int j = 0; j < m; j++) {
            keys[j] = (long) (Float.floatToRawIntBits(x[from + j]) & 0x7FFFFFFF) << 32 | j;
        }
        Arrays.sort(keys);
        int[] rank = new int[m];
        for (int r = 0; r < m; r++) {
            rank[(int) keys[r]] = r;
        }
        return rank;
    }

    private static void check(String what, int m, IntToDoubleFunction value) {
        float[] x = new float[m + 3];
        for (int j = 0; j < m; j++) {
            x[3 + j] = (float) value.applyAsDouble(j);
        }
        int[] got = new int[m];
        RowRanks ranks = new RowRanks();
        ranks.rank(x, 3, m, got);
        assertThat(got).as(what + ", m=" + m).containsExactly(reference(x, 3, m));
        ranks.rank(x, 3, m, got); // buffers reused: same answer
        assertThat(got).as(what + " again").containsExactly(reference(x, 3, m));
    }

    @Test
    void matchesTheDefinitionOnRowsThatStressTheShortcut() {
        SplittableRandom rnd = new SplittableRandom(17);
        for (int m : new int[] {1, 2, 3, 64, 4096, 14336}) {
            check("gaussian", m, j -> rnd.nextGaussian() * 0.01);
            check("few values, zeros and both signs", m, j -> (rnd.nextInt(9) - 4) * 0.01);
            check("all equal", m, j -> -0.5);
            // Within one part in 2^12: every element shares the upper bits, one long disordered run.
            check("clustered", m, j -> 1.0 + rnd.nextDouble() * 0x1p-13);
            // Many short runs: magnitudes differing only in the low mantissa bits.
            check("short runs", m, j -> Math.scalb(1.0 + rnd.nextInt(64) * 0x1p-22, rnd.nextInt(8)));
            check("signed zeros", m, j -> rnd.nextBoolean() ? 0.0 : -0.0);
        }
    }
}
