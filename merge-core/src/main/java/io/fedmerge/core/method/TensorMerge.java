package io.fedmerge.core.method;

import java.util.List;

/**
 * The merge of one tensor, streamed. The tensor is cut into slices (parallel units) and slices into blocks
 * (cache-sized). Methods that need whole-tensor statistics (top-k thresholds, norms, cosines) declare passes: for
 * pass 0 every slice gets an {@link #accumulator} fed its blocks, then {@link #endPass} receives the accumulators in
 * slice order; then pass 1, and so on; finally every slice gets a {@link #merger}. Slices run concurrently, so
 * per-slice state lives in accumulators and mergers, and shared state changes only in {@link #endPass}.
 */
public interface TensorMerge {

    default int statsPasses() {
        return 0;
    }

    default SliceAccumulator accumulator(int pass, int slice) {
        throw new UnsupportedOperationException("no statistics pass declared");
    }

    /**
     * Whether a pass reads this slice at all (a sampling pass may read only some); the accumulator of a slice that is
     * not visited sees no block.
     */
    default boolean visits(int pass, int slice) {
        return true;
    }

    default void endPass(int pass, List<SliceAccumulator> slices) {}

    BlockMerger merger(int slice);
}
