package io.fedmerge.core.plan;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.FileRange;
import io.fedmerge.core.io.MappedElements;
import io.fedmerge.core.method.TensorPermutation;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.Map;

/**
 * A contributor whose attention heads were moved into the base's order. The permutation acts on full weights, never
 * on deltas alone (MERGE_METHODS §5.8.3): aligned Δ̃[e] = θ₀[src(e)] + Δ[src(e)] − θ₀[e]. Only tensors with a
 * non-identity permutation go through here; a slice maps the whole tensor, whose pages are touched as rows are read.
 */
final class PermutedDelta implements DeltaSource {
    private final DeltaSource inner;
    private final Checkpoint base;
    private final Map<String, TensorPermutation> permutations;

    PermutedDelta(DeltaSource inner, Checkpoint base, Map<String, TensorPermutation> permutations) {
        this.inner = inner;
        this.base = base;
        this.permutations = Map.copyOf(permutations);
    }

    @Override
    public String id() {
        return inner.id();
    }

    @Override
    public Mapped map(String tensor, long first, int length, Arena arena) {
        TensorPermutation perm = permutations.get(tensor);
        if (perm == null) {
            return inner.map(tensor, first, length, arena);
        }
        long[] shape = base.info(tensor).shape();
        int cols = shape.length == 2 ? (int) shape[1] : 1; // a bias permutes single elements as rows
        long n = base.info(tensor).elementCount();
        MappedElements wholeBase = base.mapElements(tensor, 0, (int) n, arena);
        Mapped wholeDelta = inner.map(tensor, 0, (int) n, arena);
        float[] srcBase = new float[cols];
        float[] srcDelta = new float[cols];
        return (offset, len, b, dst) -> {
            long start = first + offset;
            if (start % cols != 0 || len % cols != 0) {
                throw new IllegalStateException("permuted reads need whole rows of " + cols + " for " + tensor);
            }
            for (int r = 0; r < len / cols; r++) {
                int row = (int) (start / cols) + r;
                int srcRow = perm.columns() ? row : perm.source(row);
                wholeBase.decode(srcRow * cols, cols, srcBase);
                wholeDelta.read(srcRow * cols, cols, srcBase, srcDelta);
                for (int c = 0; c < cols; c++) {
                    int srcCol = perm.columns() ? perm.source(c) : c;
                    dst[r * cols + c] = srcBase[srcCol] + srcDelta[srcCol] - b[r * cols + c];
                }
            }
        };
    }

    @Override
    public List<FileRange> fileRanges(String tensor) {
        return inner.fileRanges(tensor);
    }

    @Override
    public void close() {
        inner.close();
    }
}
