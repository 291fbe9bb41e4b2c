package io.fedmerge.core.config;

import java.util.List;
import java.util.Map;

/**
 * One entry of mergekit's {@code slices:}: a run of output layers, each merged from the same-position layer of
 * every source's {@code layer_range}.
 *
 * @param parameters the slice's own parameters, looked up after a source's and before the top-level ones
 */
public record OutputSlice(List<Source> sources, Map<String, ParameterValue> parameters) {
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
