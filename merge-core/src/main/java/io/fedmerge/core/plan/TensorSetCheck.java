package io.fedmerge.core.plan;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.TensorInfo;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks that a model has exactly the base's tensors with the base's shapes (MERGE_METHODS §2.2). The one tolerated
 * difference is a fine-tune with extra vocabulary rows in {@code embed_tokens}/{@code lm_head}: those rows are
 * dropped (first rows kept), as mergekit does, and reported.
 */
public final class TensorSetCheck {
    private TensorSetCheck() {}

    /**
     * @param allowVocabularyGrowth whether extra embedding rows may be cut (true for fine-tuned checkpoints, false
     *     for task vectors, which must already have base shapes)
     * @return one warning per truncated tensor
     */
    public static List<String> check(Checkpoint base, Checkpoint model, String label, boolean allowVocabularyGrowth) {
        List<String> warnings = new ArrayList<>();
        for (String name : base.tensorNames()) {
            TensorInfo b = base.info(name);
            TensorInfo m = model.info(name);
            if (m == null) {
                throw new IncompatibleModelException(label + " has no tensor '" + name + "' (shape " + b.shapeString()
                        + " in the base); was it made from another architecture?");
            }
            if (b.sameShape(m)) {
                continue;
            }
            if (allowVocabularyGrowth && isVocabulary(name) && b.rank() == 2 && m.rank() == 2 && b.dim(1) == m.dim(1)
                    && m.dim(0) > b.dim(0)) {
                warnings.add(label + ": tensor '" + name + "' has " + m.dim(0) + " vocabulary rows, the base "
                        + b.dim(0) + "; the extra " + (m.dim(0) - b.dim(0)) + " rows are dropped");
                continue;
            }
            throw new IncompatibleModelException(label + ": tensor '" + name + "' has shape " + m.shapeString()
                    + " but the base has " + b.shapeString() + (isVocabulary(name) && m.rank() == 2
                            && m.dim(0) < b.dim(0) ? " (fewer vocabulary rows than the base cannot be merged)" : ""));
        }
        for (String name : model.tensorNames()) {
            if (!base.contains(name)) {
                throw new IncompatibleModelException(label + " has tensor '" + name
                        + "' which the base does not have; was it made from another base model?");
            }
        }
        return warnings;
    }

    static boolean isVocabulary(String name) {
        return name.contains("embed_tokens") || name.contains("lm_head") || name.contains("wte");
    }
}
