package io.fedmerge.lowrank;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/** A whole matrix served in small row blocks (7 rows, the last one shorter), as a streamed tensor would be. */
record DenseRows(DMatrixRMaj m) implements RowSource {
    @Override
    public int rows() {
        return m.numRows;
    }

    @Override
    public int cols() {
        return m.numCols;
    }

    @Override
    public void visit(BlockVisitor visitor) {
        for (int first = 0; first < m.numRows; first += 7) {
            int end = Math.min(m.numRows, first + 7);
            visitor.accept(first, CommonOps_DDRM.extract(m, first, end, 0, m.numCols));
        }
    }
}
