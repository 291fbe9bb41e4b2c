package io.fedmerge.core.plan;

import io.fedmerge.core.align.AttentionLayout;
import io.fedmerge.core.config.MergeConfig;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.FileRange;
import io.fedmerge.core.io.TensorSpec;
import io.fedmerge.core.method.MergeMethod;
import java.util.ArrayList;
import java.util.List;

/**
 * A merge ready to stream: the open base, every contributor's delta source, the resolved method and the output
 * tensors. Building it (see {@link MergePlanner}) has already checked everything that can be checked without
 * reading tensor values.
 */
public record MergePlan(
        MergeConfig config,
        MergeMethod method,
        Checkpoint base,
        List<DeltaSource> contributors,
        ParameterResolver parameters,
        LayerPositions layers,
        AttentionLayout attention,
        List<TensorSpec> outputs,
        long seed,
        List<String> warnings) implements AutoCloseable {

    public MergePlan {
        contributors = List.copyOf(contributors);
        outputs = List.copyOf(outputs);
        warnings = List.copyOf(warnings);
    }

    /** How errors name the checkpoint the output's layout comes from. */
    public String layoutName() {
        return (config.baseModel() == null ? "model " : "base model ") + config.layoutModel();
    }

    public List<String> contributorIds() {
        return contributors.stream().map(DeltaSource::id).toList();
    }

    /** This plan with one more warning for the user. */
    public MergePlan withWarning(String warning) {
        List<String> more = new ArrayList<>(warnings);
        more.add(warning);
        return new MergePlan(config, method, base, contributors, parameters, layers, attention, outputs, seed, more);
    }

    /** Where the bytes that merging output tensor {@code name} reads are on disk: the base's, then each contributor's. */
    public List<FileRange> inputRanges(String name) {
        List<FileRange> ranges = new ArrayList<>();
        ranges.add(base.fileRange(name));
        contributors.forEach(c -> ranges.addAll(c.fileRanges(name)));
        return ranges;
    }

    @Override
    public void close() {
        base.close();
        contributors.forEach(DeltaSource::close);
    }
}
