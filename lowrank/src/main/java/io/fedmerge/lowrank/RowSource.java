package io.fedmerge.lowrank;

import org.ejml.data.DMatrixRMaj;

/**
 * A matrix too large to hold, visited in blocks of whole rows, in order, as many times as an algorithm needs: the
 * randomised SVD reads ΔW a few times and never keeps more than one block.
 */
public interface RowSource {
    int rows();

    int cols();

    /** Calls {@code visitor} for consecutive row blocks covering the matrix; the block buffer is reused. */
    void visit(BlockVisitor visitor);

    interface BlockVisitor {
        /** {@code block} holds rows [firstRow, firstRow + block.numRows). */
        void accept(int firstRow, DMatrixRMaj block);
    }
}
