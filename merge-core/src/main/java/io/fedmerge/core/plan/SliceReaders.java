package io.fedmerge.core.plan;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.ElementRun;
import java.util.List;

/** Builds the runner's reader for one tensor: base and deltas read block by block, each block checked to be finite. */
final class SliceReaders {
    private SliceReaders() {}

    static TensorMergeRunner.SliceReader of(Checkpoint base, String baseLabel, String tensor,
            List<DeltaSource> sources) {
        String[] labels = sources.stream().map(src -> "model " + src.id()).toArray(String[]::new);
        return (first, length, arena) -> {
            ElementRun b = base.readElements(tensor, first, length, arena);
            DeltaSource.Mapped[] deltas = new DeltaSource.Mapped[sources.size()];
            for (int i = 0; i < deltas.length; i++) {
                deltas[i] = sources.get(i).map(tensor, first, length, arena);
            }
            return (offset, len, baseOut, deltaOut) -> {
                // Checked as decoded; only a block with a bad value is scanned again, to name the element.
                if (!b.decodeFinite(offset, len, baseOut)) {
                    NonFiniteValueException.requireFinite(baseOut, len, baseLabel, tensor, first + offset);
                }
                for (int i = 0; i < deltas.length; i++) {
                    if (!deltas[i].readFinite(offset, len, baseOut, deltaOut[i])) {
                        NonFiniteValueException.requireFinite(deltaOut[i], len, labels[i], tensor, first + offset);
                    }
                }
            };
        };
    }
}
