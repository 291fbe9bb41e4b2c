package io.fedmerge.lowrank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.NormOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.Test;

/**
 * The factorisations against a plain dense SVD of the whole product (possible here because the matrices are small):
 * truncations must reach the Eckart–Young optimum √(Σ_{i>R} σᵢ²) and report exactly the error they have.
 */
class LowRankTest {
    static DMatrixRMaj random(int rows, int cols, long seed) {
        Random r = new Random(seed);
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < m.data.length; i++) {
            m.data[i] = r.nextGaussian();
        }
        return m;
    }

    /** Singular values of a dense matrix, descending, by EJML's full SVD (not the code under test's path). */
    static double[] singularValues(DMatrixRMaj m) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(m.numRows, m.numCols,
                false, false, true);
        assertThat(svd.decompose(m.copy())).isTrue();
        double[] s = svd.getSingularValues().clone();
        java.util.Arrays.sort(s);
        for (int i = 0; i < s.length / 2; i++) {
            double t = s[i];
            s[i] = s[s.length - 1 - i];
            s[s.length - 1 - i] = t;
        }
        return s;
    }

    static double optimalError(double[] sigma, int rank) {
        double tail = 0;
        double all = 0;
        for (int i = 0; i < sigma.length; i++) {
            all += sigma[i] * sigma[i];
            tail += i >= rank ? sigma[i] * sigma[i] : 0;
        }
        return Math.sqrt(tail / all);
    }

    static double actualError(DMatrixRMaj dense, LowRankFactors f) {
        DMatrixRMaj diff = CommonOps_DDRM.subtract(dense, CommonOps_DDRM.mult(f.b(), f.a(), null), null);
        return NormOps_DDRM.normF(diff) / NormOps_DDRM.normF(dense);
    }

    @Test
    void truncatedStackedFactorsReachTheEckartYoungError() {
        DMatrixRMaj b = random(50, 12, 1);
        DMatrixRMaj a = random(12, 40, 2);
        DMatrixRMaj dense = CommonOps_DDRM.mult(b, a, null);
        double[] sigma = singularValues(dense);
        for (int rank : new int[] {1, 3, 8, 11}) {
            LowRankFactors f = StackedFactors.truncate(b, a, rank);
            assertThat(f.rank()).isEqualTo(rank);
            double optimal = optimalError(sigma, rank);
            assertThat(actualError(dense, f)).as("rank %d", rank).isCloseTo(optimal, within(1e-9));
            assertThat(f.relativeError()).as("reported, rank %d", rank).isCloseTo(optimal, within(1e-9));
        }
    }

    @Test
    void atFullRankTheStackedFactorsReproduceTheProduct() {
        DMatrixRMaj b = random(30, 6, 3);
        DMatrixRMaj a = random(6, 25, 4);
        LowRankFactors f = StackedFactors.truncate(b, a, 6);
        assertThat(actualError(CommonOps_DDRM.mult(b, a, null), f)).isLessThan(1e-12);
        assertThat(f.relativeError()).isLessThan(1e-12);
    }

    @Test
    void moreStackedColumnsThanRowsCapTheRankAtTheRows() {
        DMatrixRMaj b = random(5, 12, 5);
        DMatrixRMaj a = random(12, 40, 6);
        LowRankFactors f = StackedFactors.truncate(b, a, 12);
        assertThat(f.rank()).isEqualTo(5);
        assertThat(actualError(CommonOps_DDRM.mult(b, a, null), f)).isLessThan(1e-12);
    }

    @Test
    void randomisedSvdRecoversALowRankMatrixExactly() {
        DMatrixRMaj dense = CommonOps_DDRM.mult(random(60, 5, 7), random(5, 80, 8), null);
        LowRankFactors f = new RandomizedSvd(11).factor(new DenseRows(dense), 5);
        assertThat(actualError(dense, f)).isLessThan(1e-10);
        assertThat(f.relativeError()).isLessThan(1e-6);
    }

    @Test
    void randomisedSvdOfANoisyMatrixIsCloseToOptimalAndReportsItsTrueError() {
        DMatrixRMaj dense = CommonOps_DDRM.mult(random(70, 8, 9), random(8, 90, 10), null);
        DMatrixRMaj noise = random(70, 90, 12);
        CommonOps_DDRM.scale(0.05, noise);
        CommonOps_DDRM.addEquals(dense, noise);
        double[] sigma = singularValues(dense);
        LowRankFactors f = new RandomizedSvd(13).factor(new DenseRows(dense), 6);
        double actual = actualError(dense, f);
        assertThat(f.relativeError()).isCloseTo(actual, within(1e-9));
        assertThat(actual).isLessThan(optimalError(sigma, 6) * 1.01);
    }

    @Test
    void randomisedSvdAtFullRankRoundTrips() {
        DMatrixRMaj dense = random(20, 15, 14);
        LowRankFactors f = new RandomizedSvd(15).factor(new DenseRows(dense), 15);
        assertThat(f.rank()).isEqualTo(15);
        assertThat(actualError(dense, f)).isLessThan(1e-12);
    }

    @Test
    void theSingularValuesComeOutDescending() {
        LowRankFactors f = StackedFactors.truncate(random(20, 9, 16), random(9, 20, 17), 9);
        double[] s = f.singularValues().clone();
        SingularOps_DDRM.descendingOrder(null, false, s, s.length, null, false);
        assertThat(f.singularValues()).containsExactly(s);
    }
}
