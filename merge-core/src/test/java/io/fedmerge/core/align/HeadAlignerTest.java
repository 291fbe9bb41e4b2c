package io.fedmerge.core.align;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The worked OT example of MERGE_METHODS §5.8.3 / appendix C. */
class HeadAlignerTest {
    static final AttentionLayout LAYOUT = new AttentionLayout(4, 4, 2, 2);
    static final int[] PI = {3, 2, 0, 1};
    static final int[] SIGMA = {1, 0};

    static double[][] base(String which) {
        return switch (which) {
            case "q" -> fill(8, 4, (r, c) -> ((7 * r + 3 * c) % 10) - 4.5);
            case "k" -> fill(4, 4, (r, c) -> ((5 * r + 2 * c) % 9) - 4);
            case "v" -> fill(4, 4, (r, c) -> ((3 * r + 7 * c) % 8) - 3.5);
            default -> fill(4, 8, (r, c) -> ((2 * r + 5 * c) % 7) - 3);
        };
    }

    static double delta(int r, int c) {
        return 0.01 * (((r + c) % 3) - 1);
    }

    /** X = F with heads moved: X's query head π(h) holds F's head h, X's KV group σ(g) holds F's group g. */
    static double[][] moved(String which) {
        double[][] b = base(which);
        double[][] f = fill(b.length, b[0].length, (r, c) -> b[r][c] + delta(r, c));
        double[][] x = new double[f.length][f[0].length];
        int dh = 2;
        for (int r = 0; r < f.length; r++) {
            for (int c = 0; c < f[0].length; c++) {
                switch (which) {
                    case "q" -> x[PI[r / dh] * dh + r % dh][c] = f[r][c];
                    case "k", "v" -> x[SIGMA[r / dh] * dh + r % dh][c] = f[r][c];
                    default -> x[r][PI[c / dh] * dh + c % dh] = f[r][c];
                }
            }
        }
        return x;
    }

    interface Cell {
        double at(int r, int c);
    }

    static double[][] fill(int rows, int cols, Cell cell) {
        double[][] m = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                m[r][c] = cell.at(r, c);
            }
        }
        return m;
    }

    static RowMatrix matrix(double[][] m) {
        return new RowMatrix() {
            public int rows() {
                return m.length;
            }

            public int cols() {
                return m[0].length;
            }

            public void row(int r, float[] dst) {
                for (int c = 0; c < m[0].length; c++) {
                    dst[c] = (float) m[r][c];
                }
            }
        };
    }

    static HeadAligner.Layer layer(java.util.function.Function<String, double[][]> source) {
        return new HeadAligner.Layer(matrix(source.apply("q")), matrix(source.apply("k")), matrix(source.apply("v")),
                matrix(source.apply("o")), null, null, null);
    }

    @Test
    void theConstructedContributorIsAppendixC() {
        assertThat(moved("q")[0]).containsExactly(3.5, -3.49, -0.51, 2.5);
        assertThat(moved("k")[1]).containsExactly(1.99, 4, -2.99, -1.01);
        assertThat(moved("o")[3][7]).isEqualTo(1.0);
    }

    @Test
    void costsMatchTheWorkedExample() {
        HeadAligner aligner = new HeadAligner(LAYOUT);
        HeadAligner.Costs c = aligner.costs(layer(HeadAlignerTest::base), layer(HeadAlignerTest::moved));
        double[][] kv = {{136.1612, 0.001}, {0.0012, 136.301}};
        double[][] qo = {{229.601, 166.261, 308.3412, 0.001}, {253.801, 290.401, 0.0012, 308.141},
                {0.001, 288.201, 254.0012, 229.941}, {287.661, 0.001, 290.5412, 165.741}};
        for (int a = 0; a < 2; a++) {
            for (int b = 0; b < 2; b++) {
                assertThat(c.kv()[a][b]).isCloseTo(kv[a][b], within(1e-3));
            }
        }
        for (int a = 0; a < 4; a++) {
            for (int b = 0; b < 4; b++) {
                assertThat(c.qo()[a][b]).as("C_qo[%d][%d]", a, b).isCloseTo(qo[a][b], within(1e-3));
            }
        }
    }

    @Test
    void recoversThePlantedPermutation() {
        HeadAligner aligner = new HeadAligner(LAYOUT);
        HeadPermutation p = aligner.solve(aligner.costs(layer(HeadAlignerTest::base), layer(HeadAlignerTest::moved)),
                1e-6);
        assertThat(p.queryHeads()).containsExactly(PI);
        assertThat(p.kvHeads()).containsExactly(SIGMA);
        assertThat(p.identityCost()).isCloseTo(1212.2064, within(1e-3));
        assertThat(p.optimalCost()).isCloseTo(0.0064, within(1e-4));
    }

    @Test
    void aSameBaseFineTuneKeepsTheIdentity() {
        HeadAligner aligner = new HeadAligner(LAYOUT);
        HeadPermutation p = aligner.solve(aligner.costs(layer(HeadAlignerTest::base), layer(w -> {
            double[][] b = base(w);
            return fill(b.length, b[0].length, (r, c) -> b[r][c] + delta(r, c));
        })), 1e-6);
        assertThat(p.isIdentity()).isTrue();
        assertThat(p.identityCost()).isCloseTo(0.0064, within(1e-4));
    }
}
