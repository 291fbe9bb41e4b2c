package io.fedmerge.core.align;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AssignmentTest {
    @Test
    void matchesBruteForceOnRandomMatrices() {
        SplittableRandom rnd = new SplittableRandom(4);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + rnd.nextInt(7);
            double[][] c = new double[n][n];
            for (double[] row : c) {
                for (int j = 0; j < n; j++) {
                    row[j] = trial % 3 == 0 ? rnd.nextInt(4) : rnd.nextDouble(-5, 5);
                }
            }
            int[] col = Assignment.solve(c);
            assertThat(col).doesNotHaveDuplicates();
            assertThat(Assignment.cost(c, col)).isCloseTo(bruteForce(c, new int[n], new boolean[n], 0), within(1e-9));
        }
    }

    @Test
    void recoversAPlantedPermutationOf128() {
        int n = 128;
        int[] planted = new int[n];
        for (int i = 0; i < n; i++) {
            planted[i] = (i * 37 + 11) % n;
        }
        double[][] c = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                c[i][j] = j == planted[i] ? 0.001 : 1 + ((i * 7 + j * 13) % 17);
            }
        }
        assertThat(Assignment.solve(c)).containsExactly(planted);
    }

    private static double bruteForce(double[][] c, int[] perm, boolean[] used, int row) {
        if (row == c.length) {
            return Assignment.cost(c, perm);
        }
        double best = Double.POSITIVE_INFINITY;
        for (int j = 0; j < c.length; j++) {
            if (!used[j]) {
                used[j] = true;
                perm[row] = j;
                best = Math.min(best, bruteForce(c, perm, used, row + 1));
                used[j] = false;
            }
        }
        return best;
    }
}
