package io.fedmerge.core.config;

import java.util.List;
import java.util.Map;

/**
 * One entry of mergekit's {@code slices:}: a run of output layers, each merged from the same-position layer of
 * every source's {@code layer_range}.
 *
 * @param baseModel the slice's own {@code base_model} (replacing the top-level one for this slice), or null
 * @param residualWeight mergekit's {@code residual_weight}, or null: mergekit parses it and never applies it, so
 *        neither does fedmerge (the plan warns that it is ignored)
 * @param parameters the slice's own parameters, looked up after a source's and before the top-level ones
 */
public record OutputSlice(List<Source> sources, String baseModel, Double residualWeight,
        Map<String, ParameterValue> parameters) {
    public OutputSlice {
        sources = List.copyOf(sources);
        parameters = Map.copyOf(parameters);
    }

    /** Layers in this slice (every source has the same count; the parser checks). */
    public int layers() {
        return sources.getFirst().end() - sources.getFirst().start();
    }

    /**
     * A model's layers {@code [start, end)} as one input of a slice.
     *
     * @param model the path exactly as written in the config
     */
    public record Source(String model, int start, int end, Map<String, ParameterValue> parameters) {
        public Source {
            parameters = Map.copyOf(parameters);
        }
    }
}
