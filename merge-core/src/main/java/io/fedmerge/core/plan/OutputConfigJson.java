package io.fedmerge.core.plan;

import io.fedmerge.core.config.ConfigException;
import io.fedmerge.core.tensor.DType;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The output's config.json: a copy of the layout model's, changed where the merge changed the model — the layer count
 * of a layer-range merge, and the dtype its tensors are written in (a config that says float32 over bf16 weights makes
 * {@code from_pretrained(dtype="auto")} load twice the memory). Left byte for byte as it was when nothing changes.
 */
final class OutputConfigJson {
    /** transformers 4 writes {@code torch_dtype}, transformers 5 {@code dtype}; both read {@code torch_dtype}. */
    private static final List<String> DTYPE_KEYS = List.of("torch_dtype", "dtype");

    private OutputConfigJson() {}

    /** {@code json} with {@code num_hidden_layers} set to {@code layers}. */
    static String withLayers(String json, Path source, int layers) {
        return edit(json, source, root -> root.put("num_hidden_layers", layers));
    }

    /**
     * {@code json} naming {@code dtype} under the dtype keys it has ({@code torch_dtype} if it has neither), or
     * {@code json} itself when {@code dtype} is null (each tensor keeps the base's dtype) or already named.
     */
    static String withDtype(String json, Path source, DType dtype) {
        if (json == null || dtype == null) {
            return json;
        }
        String name = dtype.torchName();
        return edit(json, source, root -> {
            List<String> present = DTYPE_KEYS.stream().filter(root::has).toList();
            for (String key : present.isEmpty() ? DTYPE_KEYS.subList(0, 1) : present) {
                root.put(key, name);
            }
        });
    }

    private static String edit(String json, Path source, Consumer<ObjectNode> change) {
        try {
            JsonMapper mapper = JsonMapper.builder().build();
            ObjectNode root = (ObjectNode) mapper.readTree(json);
            ObjectNode changed = root.deepCopy();
            change.accept(changed);
            if (changed.equals(root)) {
                return json;
            }
            return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(changed) + "\n";
        } catch (JacksonException | ClassCastException e) {
            throw new ConfigException(source + " is not a JSON object: " + e.getMessage());
        }
    }
}
