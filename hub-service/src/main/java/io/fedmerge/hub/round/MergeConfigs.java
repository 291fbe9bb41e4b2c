package io.fedmerge.hub.round;

import io.fedmerge.core.config.MergeConfig;
import io.fedmerge.core.config.MergeConfigParser;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * The mergekit YAML a round merges with: the base, one entry per committed contribution in node-id order (sums
 * run in that order, so the result is reproducible) and the round's parameters. JSON is valid YAML flow style,
 * which keeps parameter values (gradients, filters) exactly as the admin gave them.
 */
public final class MergeConfigs {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** The base model's name inside a merge's work directory (a link to the registered location). */
    public static final String BASE = "base";

    private MergeConfigs() {}

    /** A contribution's model string: its node's pseudonymous id, never the hospital's name. */
    public static String contribution(String nodeId) {
        return "contributions/" + nodeId + ".safetensors";
    }

    /** A LoRA adapter contribution's model string: a directory holding its config and its weights file. */
    public static String adapterContribution(String nodeId) {
        return "contributions/" + nodeId;
    }

    /** @param models task-vector paths relative to {@code directory}, in merge order */
    public static String yaml(String method, Path basePath, List<String> models, Map<String, Object> parameters,
            Map<String, Object> modelParameters) {
        StringBuilder y = new StringBuilder("merge_method: ").append(method).append('\n')
                .append("base_model: ").append(JSON.writeValueAsString(basePath.toString())).append('\n')
                .append("models:\n");
        for (String m : models) {
            y.append("  - model: ").append(JSON.writeValueAsString(m)).append('\n')
                    .append("    parameters: ").append(JSON.writeValueAsString(modelParameters)).append('\n');
        }
        return y.append("parameters: ").append(JSON.writeValueAsString(parameters)).append('\n').toString();
    }

    public static MergeConfig parse(String yaml, Path directory) {
        return MergeConfigParser.parse(yaml, directory);
    }
}
