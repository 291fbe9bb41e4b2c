package io.fedmerge.lowrank;

import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Rank-R factors of a streamed matrix by randomised SVD (Halko, Martinsson & Tropp 2011, algorithms 4.4 and 5.1):
 * sketch Y = ΔW·Ω with k = R + oversampling Gaussian columns, sharpen it with power iterations
 * (Y = ΔW·ΔWᵀ·Y, re-orthonormalised each time), project B = Qᵀ·ΔW and take the SVD of that k × cols matrix.
 * Every product streams ΔW by row blocks: 2 + 2q passes, O((rows + cols)·k) memory. The error is exact, not an
 * estimate: ‖ΔW − Q·Qᵀ·ΔW‖² = ‖ΔW‖² − ‖Qᵀ·ΔW‖², so with ‖ΔW‖² summed in the last pass the truncation's
 * error follows from the singular values.
 */
public final class RandomizedSvd {
    public static final int DEFAULT_OVERSAMPLING = 10;
    public static final int DEFAULT_POWER_ITERATIONS = 2;

    private final int oversampling;
    private final int powerIterations;
    private final long seed;

    public RandomizedSvd(int oversampling, int powerIterations, long seed) {
        this.oversampling = oversampling;
        this.powerIterations = powerIterations;
        this.seed = seed;
    }

    public RandomizedSvd(long seed) {
        this(DEFAULT_OVERSAMPLING, DEFAULT_POWER_ITERATIONS, seed);
    }

    public LowRankFactors factor(RowSource m, int rank) {
        int rows = m.rows();
        int cols = m.cols();
        int k = Math.min(rank + oversampling, Math.min(rows, cols));
        DMatrixRMaj q = orthonormal(times(m, gaussian(cols, k)));
        for (int i = 0; i < powerIterations; i++) {
            DMatrixRMaj z = orthonormal(transposeTimes(m, q));
            q = orthonormal(times(m, z));
        }
        DMatrixRMaj basis = q;
        double[] energy = new double[1];
        DMatrixRMaj projected = new DMatrixRMaj(basis.numCols, cols);
        m.visit((first, block) -> {
            DMatrixRMaj qBlock = CommonOps_DDRM.extract(basis, first, first + block.numRows, 0, basis.numCols);
            CommonOps_DDRM.multAddTransA(qBlock, block, projected);
            energy[0] += CommonOps_DDRM.elementSum(CommonOps_DDRM.elementMult(block, block, null));
        });
        SingularValueDecomposition_F64<DMatrixRMaj> svd =
                DecompositionFactory_DDRM.svd(projected.numRows, projected.numCols, true, true, true);
        if (!svd.decompose(projected)) {
            throw new IllegalStateException("SVD of the " + projected.numRows + "×" + cols + " sketch did not converge");
        }
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj w = svd.getW(null);
        DMatrixRMaj v = svd.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        double[] sigma = StackedFactors.diagonal(w);
        int r = Math.max(1, Math.min(rank, sigma.length));
        LowRankFactors f = StackedFactors.split(basis, u, sigma, v, null, r);
        double captured = 0;
        for (double s : sigma) {
            captured += s * s;
        }
        double outside = Math.max(0, energy[0] - captured);
        return new LowRankFactors(f.b(), f.a(), StackedFactors.tailError(sigma, r, outside), sigma);
    }

    private DMatrixRMaj gaussian(int rows, int cols) {
        SplittableRandom random = new SplittableRandom(seed);
        DMatrixRMaj g = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < g.data.length; i++) {
            g.data[i] = gaussian(random);
        }
        return g;
    }

    /** Box–Muller: SplittableRandom has no nextGaussian, and its streams are reproducible from the seed. */
    private static double gaussian(SplittableRandom random) {
        double u1 = 1 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    /** ΔW·X, [rows, k]. */
    private static DMatrixRMaj times(RowSource m, DMatrixRMaj x) {
        DMatrixRMaj y = new DMatrixRMaj(m.rows(), x.numCols);
        m.visit((first, block) -> {
            DMatrixRMaj part = CommonOps_DDRM.mult(block, x, null);
            CommonOps_DDRM.insert(part, y, first, 0);
        });
        return y;
    }

    /** ΔWᵀ·Q, [cols, k]. */
    private static DMatrixRMaj transposeTimes(RowSource m, DMatrixRMaj q) {
        DMatrixRMaj z = new DMatrixRMaj(m.cols(), q.numCols);
        m.visit((first, block) -> CommonOps_DDRM.multAddTransA(block,
                CommonOps_DDRM.extract(q, first, first + block.numRows, 0, q.numCols), z));
        return z;
    }

    private static DMatrixRMaj orthonormal(DMatrixRMaj y) {
        return StackedFactors.thinQr(y)[0];
    }
}
