package io.fedmerge.core.config;

import io.fedmerge.core.tensor.DType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A parsed mergekit-compatible merge configuration.
 *
 * @param baseModel the model the others were fine-tuned from, or null (linear, nuslerp, karcher, passthrough)
 * @param directory where relative model paths are resolved (the config file's directory)
 * @param dtype mergekit's {@code dtype}; fedmerge always computes in float32, so it only sets the default output
 *     dtype when {@code out_dtype} is absent (null: keep each base tensor's dtype)
 * @param source the YAML text, kept as provenance in the output
 * @param slices mergekit's {@code slices:} form (then {@code models} is empty), or empty for the {@code models:} form
 */
public record MergeConfig(
        String mergeMethod,
        String baseModel,
        List<ModelEntry> models,
        Map<String, ParameterValue> parameters,
        DType dtype,
        DType outDtype,
        Path directory,
        String source,
        List<OutputSlice> slices) {

    public MergeConfig {
        models = List.copyOf(models);
        parameters = Map.copyOf(parameters);
        slices = List.copyOf(slices);
    }

    /** The {@code models:} form. */
    public MergeConfig(String mergeMethod, String baseModel, List<ModelEntry> models,
            Map<String, ParameterValue> parameters, DType dtype, DType outDtype, Path directory, String source) {
        this(mergeMethod, baseModel, models, parameters, dtype, outDtype, directory, source, List.of());
    }

    /** This config with other models and top-level parameters: one part of a layer-range merge. */
    public MergeConfig withModels(String base, List<ModelEntry> entries, Map<String, ParameterValue> params) {
        return new MergeConfig(mergeMethod, base, entries, params, dtype, outDtype, directory, source, List.of());
    }

    /**
     * The model whose tensor list, dtypes, config.json and tokenizer the output takes: the base, or without one the
     * first of {@code models}, as mergekit does.
     */
    public String layoutModel() {
        if (baseModel != null) {
            return baseModel;
        }
        return models.isEmpty() ? slices.getFirst().sources().getFirst().model() : models.getFirst().model();
    }

    public Path resolve(String model) {
        return directory.resolve(model).normalize();
    }

    /** The dtype written for a tensor stored as {@code baseDtype} in the base. */
    public DType outputDtype(DType baseDtype) {
        DType declared = declaredOutputDtype();
        return declared != null ? declared : baseDtype;
    }

    /** The dtype every output tensor is written in, if the config names one ({@code out_dtype}, else {@code dtype}). */
    public DType declaredOutputDtype() {
        return outDtype != null ? outDtype : dtype;
    }
}
