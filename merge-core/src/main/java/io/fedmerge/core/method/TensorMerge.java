package io.fedmerge.core.method;

import java.util.List;

/**
 * The merge of one tensor, streamed slice by slice. Methods that need whole-tensor statistics (top-k thresholds,
 * norms, cosines) declare passes: the executor feeds every slice to {@link #sliceStats} for pass 0, hands the
 * partial results to {@link #endPass} in slice order, then pass 1, and so on; finally every slice to
 * {@link #merge}. Slices of one pass may run concurrently, so implementations keep per-slice state in the partials
 * and only mutate shared state in {@link #endPass}.
 */
public interface TensorMerge {

    default int statsPasses() {
        return 0;
    }

    default Object sliceStats(int pass, Slice slice) {
        throw new UnsupportedOperationException("no statistics pass declared");
    }

    default void endPass(int pass, List<Object> partials) {}

    /** Writes the merged values of {@code slice} into {@code out[0, slice.length())}. */
    void merge(Slice slice, float[] out);
}
