package io.fedmerge.core.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** {@code model.safetensors.index.json}: which shard holds each tensor, as Hugging Face writes it. */
public record ShardIndex(long totalSize, Map<String, String> weightMap) {
    private static final JsonMapper JSON =
            JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    public ShardIndex {
        weightMap = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(weightMap));
    }

    public static ShardIndex read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new InvalidSafetensorsException(file, "not UTF-8 text (an index is JSON)");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (JacksonException e) {
            throw new InvalidSafetensorsException(file, "not valid JSON: " + e.getOriginalMessage());
        }
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new InvalidSafetensorsException(file, "missing object 'weight_map'");
        }
        Map<String, String> weights = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            if (!e.getValue().isString()) {
                throw new InvalidSafetensorsException(file, "weight_map." + e.getKey() + " must be a file name");
            }
            weights.put(e.getKey(), e.getValue().stringValue());
        }
        JsonNode total = root.path("metadata").path("total_size");
        return new ShardIndex(total.canConvertToLong() ? total.longValue() : -1, weights);
    }

    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("metadata").put("total_size", totalSize);
        ObjectNode map = root.putObject("weight_map");
        weightMap.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> map.put(e.getKey(), e.getValue()));
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }
}
