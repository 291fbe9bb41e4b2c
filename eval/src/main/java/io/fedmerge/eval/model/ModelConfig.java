package io.fedmerge.eval.model;

import io.fedmerge.core.FedmergeException;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The architecture of a Llama-family decoder (Llama, Mistral) as its Hugging Face {@code config.json} gives it:
 * what the forward pass needs, and nothing it would silently get wrong (scaled RoPE, other model types).
 *
 * @param slidingWindow Mistral attends to the last this many positions; 0 for full attention
 */
public record ModelConfig(int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim, int vocab,
        double rmsNormEps, double ropeTheta, int slidingWindow, boolean tiedEmbeddings) {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Set<String> TYPES = Set.of("llama", "mistral");

    public static ModelConfig parse(String json, String where) {
        JsonNode c;
        try {
            c = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new FedmergeException(where + " is not valid JSON: " + e.getOriginalMessage());
        }
        String type = c.path("model_type").asString("");
        if (!TYPES.contains(type)) {
            throw new FedmergeException(where + ": model_type '" + type + "' is not supported for evaluation;"
                    + " llama and mistral are");
        }
        if (!c.path("rope_scaling").isMissingNode() && !c.path("rope_scaling").isNull()) {
            throw new FedmergeException(where + ": rope_scaling " + c.path("rope_scaling")
                    + " is not supported; only plain RoPE is");
        }
        if (!"silu".equals(c.path("hidden_act").asString("silu"))) {
            throw new FedmergeException(where + ": hidden_act '" + c.path("hidden_act").asString()
                    + "' is not supported; silu is");
        }
        int hidden = positive(c, "hidden_size", where);
        int heads = positive(c, "num_attention_heads", where);
        int kvHeads = c.has("num_key_value_heads") ? positive(c, "num_key_value_heads", where) : heads;
        if (heads % kvHeads != 0) {
            throw new FedmergeException(where + ": num_attention_heads " + heads + " is not a multiple of"
                    + " num_key_value_heads " + kvHeads);
        }
        int headDim = c.has("head_dim") && !c.path("head_dim").isNull() ? positive(c, "head_dim", where)
                : hidden / heads;
        int window = c.path("sliding_window").isIntegralNumber() ? c.path("sliding_window").asInt() : 0;
        return new ModelConfig(hidden, positive(c, "intermediate_size", where), positive(c, "num_hidden_layers", where),
                heads, kvHeads, headDim, positive(c, "vocab_size", where), c.path("rms_norm_eps").asDouble(1e-6),
                c.path("rope_theta").asDouble(10000.0), Math.max(0, window),
                c.path("tie_word_embeddings").asBoolean(false));
    }

    private static int positive(JsonNode c, String key, String where) {
        JsonNode v = c.path(key);
        if (!v.isIntegralNumber() || v.asInt() <= 0) {
            throw new FedmergeException(where + ": '" + key + "' must be a positive integer, found " + v);
        }
        return v.asInt();
    }
}
