package io.fedmerge.core.config;

import java.util.Map;

/**
 * One {@code models[]} entry: a checkpoint directory or a task-vector file, and its per-model parameters.
 *
 * @param model the path exactly as written in the config; it also names the contributor in random streams
 */
public record ModelEntry(String model, Map<String, ParameterValue> parameters) {
    public ModelEntry {
        parameters = Map.copyOf(parameters);
    }
}
