package io.fedmerge.lowrank;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * The best rank-R approximation (Eckart–Young) of ΔW = B·A given as factors with K columns/rows, without forming
 * ΔW: thin QR of B = Q_b·R_b and of Aᵀ = Q_a·R_a, SVD of the small core R_b·R_aᵀ = U·Σ·Vᵀ, then
 * ΔW = (Q_b·U)·Σ·(Q_a·V)ᵀ, cut after R singular values and split √Σ to each side. Cost: O((rows + cols)·K²) for
 * the QRs and the products, O(K³) for the SVD; memory O((rows + cols)·K) — for three rank-16 adapters on a
 * 4096 × 4096 projection, K = 48 and the largest intermediate is 4096 × 48 doubles (1.5 MB).
 */
public final class StackedFactors {
    private StackedFactors() {}

    /** @param b [rows, K] and a [K, cols]; the result has rank min(maxRank, K, rows, cols) */
    public static LowRankFactors truncate(DMatrixRMaj b, DMatrixRMaj a, int maxRank) {
        DMatrixRMaj[] qrB = thinQr(b);
        DMatrixRMaj[] qrA = thinQr(CommonOps_DDRM.transpose(a, null));
        DMatrixRMaj core = CommonOps_DDRM.multTransB(qrB[1], qrA[1], null);
        SingularValueDecomposition_F64<DMatrixRMaj> svd =
                DecompositionFactory_DDRM.svd(core.numRows, core.numCols, true, true, true);
        if (!svd.decompose(core)) {
            throw new IllegalStateException("SVD of the " + core.numRows + "×" + core.numCols + " core did not converge");
        }
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj w = svd.getW(null);
        DMatrixRMaj v = svd.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        double[] sigma = diagonal(w);
        int rank = Math.max(1, Math.min(maxRank, sigma.length));
        return split(qrB[0], u, sigma, v, qrA[0], rank);
    }

    /** B' = Q_b·U_R·√Σ_R, A' = √Σ_R·V_Rᵀ·Q_aᵀ (with {@code qa} null: A' = √Σ_R·V_Rᵀ). */
    static LowRankFactors split(DMatrixRMaj qb, DMatrixRMaj u, double[] sigma, DMatrixRMaj v, DMatrixRMaj qa,
            int rank) {
        DMatrixRMaj ur = CommonOps_DDRM.extract(u, 0, u.numRows, 0, rank);
        DMatrixRMaj vr = CommonOps_DDRM.extract(v, 0, v.numRows, 0, rank);
        for (int j = 0; j < rank; j++) {
            double root = Math.sqrt(sigma[j]);
            for (int i = 0; i < ur.numRows; i++) {
                ur.set(i, j, ur.get(i, j) * root);
            }
            for (int i = 0; i < vr.numRows; i++) {
                vr.set(i, j, vr.get(i, j) * root);
            }
        }
        DMatrixRMaj b = qb == null ? ur : CommonOps_DDRM.mult(qb, ur, null);
        DMatrixRMaj aT = qa == null ? vr : CommonOps_DDRM.mult(qa, vr, null);
        return new LowRankFactors(b, CommonOps_DDRM.transpose(aT, null), tailError(sigma, rank, 0), sigma);
    }

    /**
     * √(Σ_{i ≥ rank} σᵢ² + residual) / √(Σ σᵢ² + residual): the Frobenius error of keeping the first {@code rank}
     * singular values, relative to the whole; {@code residual} is energy outside the factorised subspace.
     */
    static double tailError(double[] sigma, int rank, double residual) {
        double total = residual;
        double tail = residual;
        for (int i = 0; i < sigma.length; i++) {
            double s2 = sigma[i] * sigma[i];
            total += s2;
            if (i >= rank) {
                tail += s2;
            }
        }
        return total <= 0 ? 0 : Math.sqrt(Math.max(0, tail) / total);
    }

    /** [Q (rows × m), R (m × cols)] with m = min(rows, cols). */
    static DMatrixRMaj[] thinQr(DMatrixRMaj m) {
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(m.numRows, m.numCols);
        if (!qr.decompose(m.copy())) {
            throw new IllegalStateException("QR of a " + m.numRows + "×" + m.numCols + " matrix failed");
        }
        return new DMatrixRMaj[] {qr.getQ(null, true), qr.getR(null, true)};
    }

    static double[] diagonal(DMatrixRMaj w) {
        int n = Math.min(w.numRows, w.numCols);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = w.get(i, i);
        }
        return d;
    }
}
