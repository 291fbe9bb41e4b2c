package io.fedmerge.core.method;

import io.fedmerge.core.config.ConfigException;
import java.util.List;

/** A merge method, registered under mergekit's name. */
public interface MergeMethod {

    String name();

    /** Every parameter the method accepts; any other key in a config is an error. */
    List<ParameterSpec> parameters();

    /** Rules between parameters, checked for every tensor before anything is written. */
    default void validate(TensorContext context) {}

    /**
     * This method for a config without {@code base_model}, where the first model gives the output's layout and
     * every model takes part; refused for methods that merge differences from a base.
     */
    default MergeMethod withoutBase() {
        throw new ConfigException("merge_method " + name() + " needs base_model: it merges each model's difference"
                + " from the model they were all fine-tuned from; add base_model: <that model>");
    }

    /** Whether a models[] entry naming the base itself takes part (as a zero delta) or is dropped. */
    default boolean baseEntryTakesPart() {
        return false;
    }

    /**
     * Whole-model work before the merge pass (head alignment, statistics over groups of tensors), returning how each
     * tensor of this merge is then merged, with what it found. Default: no such work.
     */
    default TensorMerges prepare(ModelView view) {
        return this::forTensor;
    }

    /** A tensor's merge with no whole-model preparation. */
    TensorMerge forTensor(TensorContext context);

    /**
     * The coefficients cᵢ when this tensor's merge is exactly θ₀ + Σᵢ cᵢ·Δᵢ (one per contributor, in order), so
     * that merged LoRA adapters can be written exactly from their factors; null when the merge is not such a
     * linear combination (sparsification, sign election, interpolation, a scaled base).
     */
    default double[] linearCoefficients(TensorContext context) {
        return null;
    }
}
