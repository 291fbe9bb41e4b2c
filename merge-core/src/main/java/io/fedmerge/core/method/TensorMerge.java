package io.fedmerge.core.method;

/**
 * The merge of one tensor, streamed. The tensor is cut into slices (parallel units) and slices into blocks
 * (cache-sized). Methods that need whole-tensor statistics (top-k thresholds, norms, cosines) hand out
 * {@link StatsPass}es one at a time; when none is left every slice gets a {@link #merger}. Slices run concurrently, so
 * per-slice state lives in accumulators and mergers, and shared state changes only when a pass ends.
 */
public interface TensorMerge {

    /**
     * The next statistics pass, or null when the merge can start. Asked again after each pass has ended, so what a
     * pass found decides whether another is needed.
     */
    default StatsPass<?> nextPass() {
        return null;
    }

    BlockMerger merger(int slice);
}
