package io.fedmerge.core.plan;

import io.fedmerge.core.align.AttentionLayout;
import io.fedmerge.core.config.ConfigException;
import io.fedmerge.core.io.Checkpoint;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** What the base model's config.json says about its architecture: layer count and attention geometry. */
record ModelFacts(Integer layers, AttentionLayout attention) {

    static ModelFacts of(Checkpoint base) {
        String json = base.configJson();
        if (json == null) {
            return new ModelFacts(null, null);
        }
        JsonNode root;
        try {
            root = JsonMapper.builder().build().readTree(json);
        } catch (JacksonException e) {
            throw new ConfigException(base.directory().resolve(Checkpoint.CONFIG_FILE) + " is not valid JSON: "
                    + e.getOriginalMessage());
        }
        Integer layers = intOrNull(root, "num_hidden_layers");
        Integer heads = intOrNull(root, "num_attention_heads");
        Integer hidden = intOrNull(root, "hidden_size");
        if (heads == null || hidden == null || heads <= 0) {
            return new ModelFacts(layers, null);
        }
        Integer kv = intOrNull(root, "num_key_value_heads");
        Integer headDim = intOrNull(root, "head_dim");
        return new ModelFacts(layers, new AttentionLayout(hidden, heads, kv == null ? heads : kv,
                headDim == null ? hidden / heads : headDim));
    }

    private static Integer intOrNull(JsonNode root, String key) {
        JsonNode n = root.get(key);
        return n != null && n.canConvertToInt() ? n.intValue() : null;
    }
}
