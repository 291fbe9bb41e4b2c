package io.fedmerge.lowrank;

import org.ejml.data.DMatrixRMaj;

/**
 * ΔW ≈ B·A with B [rows, rank] and A [rank, cols], in float64, and how close the product is.
 *
 * @param relativeError ‖ΔW − B·A‖_F / ‖ΔW‖_F (0 for an exact factorisation or a zero ΔW)
 * @param singularValues the singular values the factorisation saw, in descending order (all of them for the exact
 *     truncation; the sketch's for randomised SVD)
 */
public record LowRankFactors(DMatrixRMaj b, DMatrixRMaj a, double relativeError, double[] singularValues) {
    public LowRankFactors {
        if (b.numCols != a.numRows) {
            throw new IllegalArgumentException("B has " + b.numCols + " columns but A has " + a.numRows + " rows");
        }
    }

    public int rank() {
        return a.numRows;
    }

    public int rows() {
        return b.numRows;
    }

    public int cols() {
        return a.numCols;
    }
}
