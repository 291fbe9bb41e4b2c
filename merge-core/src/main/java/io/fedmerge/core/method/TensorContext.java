package io.fedmerge.core.method;

import io.fedmerge.core.align.AttentionLayout;
import java.util.List;
import java.util.function.Consumer;

/**
 * What a method knows about the tensor it is about to merge.
 *
 * @param shape the base tensor's shape (every contribution has it too)
 * @param contributorIds stable contributor names, in config order; they key the random streams
 * @param seed the merge's random seed
 * @param warnings where a method reports something the user should know (logged once per tensor)
 * @param attention head geometry from the base's config.json, or null
 * @param report where a method explains per-unit decisions (the hierarchical method's weights)
 */
public record TensorContext(String tensorName, long[] shape, List<String> contributorIds, TensorParameters params,
        long seed, Consumer<String> warnings, AttentionLayout attention, Consumer<UnitReport> report) {
    public TensorContext {
        shape = shape.clone();
        contributorIds = List.copyOf(contributorIds);
    }

    /** A context without model facts or report sink (methods that need none). */
    public TensorContext(String tensorName, long[] shape, List<String> contributorIds, TensorParameters params,
            long seed, Consumer<String> warnings) {
        this(tensorName, shape, contributorIds, params, seed, warnings, null, r -> {});
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int contributors() {
        return contributorIds.size();
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
