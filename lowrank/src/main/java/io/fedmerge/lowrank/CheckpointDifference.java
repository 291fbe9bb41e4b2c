package io.fedmerge.lowrank;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.plan.NonFiniteValueException;
import org.ejml.data.DMatrixRMaj;

/**
 * One 2-D tensor's ΔW = model − base, served by row blocks straight from the mapped files (about a million
 * elements a block), so a factorisation never holds the tensor. A fine-tune's extra vocabulary rows lie beyond
 * the base's rows and are never read.
 */
final class CheckpointDifference implements RowSource {
    private static final int BLOCK_ELEMENTS = 1 << 20;

    private final Checkpoint model;
    private final Checkpoint base;
    private final String tensor;
    private final int rows;
    private final int cols;

    CheckpointDifference(Checkpoint model, Checkpoint base, String tensor) {
        this.model = model;
        this.base = base;
        this.tensor = tensor;
        this.rows = Math.toIntExact(base.info(tensor).dim(0));
        this.cols = Math.toIntExact(base.info(tensor).dim(1));
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public void visit(BlockVisitor visitor) {
        int blockRows = Math.max(1, Math.min(rows, BLOCK_ELEMENTS / cols));
        float[] m = new float[blockRows * cols];
        float[] b = new float[blockRows * cols];
        DMatrixRMaj block = new DMatrixRMaj(blockRows, cols);
        for (int first = 0; first < rows; first += blockRows) {
            int n = Math.min(blockRows, rows - first);
            int count = n * cols;
            long start = (long) first * cols;
            model.readFloats(tensor, start, count, m);
            base.readFloats(tensor, start, count, b);
            NonFiniteValueException.requireFinite(m, count, "model " + model.location(), tensor, start);
            NonFiniteValueException.requireFinite(b, count, "base model " + base.location(), tensor, start);
            block.reshape(n, cols);
            for (int i = 0; i < count; i++) {
                block.data[i] = (double) m[i] - b[i];
            }
            visitor.accept(first, block);
        }
    }

    /** Whether the model's values of {@code tensor} (any shape) differ from the base's anywhere: one pass. */
    static boolean differs(Checkpoint model, Checkpoint base, String tensor) {
        long n = base.info(tensor).elementCount();
        float[] m = new float[(int) Math.min(n, BLOCK_ELEMENTS)];
        float[] b = new float[m.length];
        for (long first = 0; first < n; first += m.length) {
            int count = (int) Math.min(m.length, n - first);
            model.readFloats(tensor, first, count, m);
            base.readFloats(tensor, first, count, b);
            for (int i = 0; i < count; i++) {
                if (Float.floatToRawIntBits(m[i]) != Float.floatToRawIntBits(b[i])) {
                    return true;
                }
            }
        }
        return false;
    }
}
