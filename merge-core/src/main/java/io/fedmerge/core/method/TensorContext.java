package io.fedmerge.core.method;

import java.util.List;
import java.util.function.Consumer;

/**
 * What a method knows about the tensor it is about to merge.
 *
 * @param shape the base tensor's shape (every contribution has it too)
 * @param contributorIds stable contributor names, in config order; they key the random streams
 * @param seed the merge's random seed
 * @param warnings where a method reports something the user should know (logged once per tensor)
 */
public record TensorContext(String tensorName, long[] shape, List<String> contributorIds, TensorParameters params,
        long seed, Consumer<String> warnings) {
    public TensorContext {
        shape = shape.clone();
        contributorIds = List.copyOf(contributorIds);
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
