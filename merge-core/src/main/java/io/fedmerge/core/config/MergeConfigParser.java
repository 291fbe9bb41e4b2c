package io.fedmerge.core.config;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads a mergekit YAML config, in its {@code models:} or its {@code slices:} form. Structure only: whether a
 * parameter is known to the method and within its range is checked when the merge is planned, where the method is
 * known.
 */
public final class MergeConfigParser {
    private static final Set<String> TOP_LEVEL =
            Set.of("merge_method", "base_model", "models", "slices", "parameters", "dtype", "out_dtype",
                    "tokenizer_source");
    private static final Set<String> MODEL_KEYS = Set.of("model", "parameters");
    private static final Set<String> SLICE_KEYS = Set.of("sources", "base_model", "residual_weight", "parameters");

    private MergeConfigParser() {}

    public static MergeConfig parse(Path file) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            return parse(Files.readString(file), dir);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file + " does not exist");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public static MergeConfig parse(String yaml, Path directory) {
        Object root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            root = new Yaml(new SafeConstructor(options)).load(yaml);
        } catch (YAMLException e) {
            throw new ConfigException("config is not valid YAML: " + e.getMessage());
        } catch (NumberFormatException e) {
            // SnakeYAML 2 resolves some non-numbers (e.g. "._") as floats, then fails to read them (found by fuzzing)
            throw new ConfigException("config has a value that looks like a number but is not one (" + e.getMessage()
                    + "); quote it if it is text");
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new ConfigException("config must be a YAML mapping with merge_method, models and (for most methods)"
                    + " base_model");
        }
        for (Object key : map.keySet()) {
            if (!TOP_LEVEL.contains(String.valueOf(key))) {
                throw new ConfigException("unknown key '" + key + "' at the top level; expected one of "
                        + String.join(", ", TOP_LEVEL.stream().sorted().toList()));
            }
        }
        String method = requireString(map, "merge_method", "the top level");
        String base = map.get("base_model") == null ? null : requireString(map, "base_model", "the top level");
        Object tokenizer = map.get("tokenizer_source");
        if (tokenizer != null && !"base".equals(tokenizer)) {
            throw new ConfigException("tokenizer_source: only 'base' is supported (the output keeps the base model's"
                    + " tokenizer and vocabulary), found '" + tokenizer + "'");
        }
        if (map.containsKey("models") == map.containsKey("slices")) {
            throw new ConfigException("give either 'models' (whole models) or 'slices' (layer ranges), not "
                    + (map.containsKey("models") ? "both" : "neither"));
        }
        List<ModelEntry> models = map.containsKey("models") ? readModels(map.get("models")) : List.of();
        List<OutputSlice> slices = map.containsKey("slices") ? readSlices(map.get("slices")) : List.of();
        Map<String, ParameterValue> params = readParameters(map.get("parameters"), "parameters");
        return new MergeConfig(method, base, models, params, readDtype(map, "dtype"), readDtype(map, "out_dtype"),
                directory, yaml, slices);
    }

    private static String requireString(Map<?, ?> map, String key, String where) {
        Object v = map.get(key);
        if (!(v instanceof String s) || s.isBlank()) {
            throw new ConfigException("missing or empty '" + key + "' in " + where);
        }
        return s;
    }

    private static DType readDtype(Map<?, ?> map, String key) {
        Object v = map.get(key);
        if (v == null) {
            return null;
        }
        try {
            return DType.fromUserName(String.valueOf(v));
        } catch (FedmergeException e) {
            throw new ConfigException(key + ": " + e.getMessage());
        }
    }

    private static List<ModelEntry> readModels(Object node) {
        if (!(node instanceof List<?> list) || list.isEmpty()) {
            throw new ConfigException("'models' must be a non-empty list of {model: PATH, parameters: {...}}");
        }
        List<ModelEntry> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String where = "models[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw new ConfigException(where + " must be a mapping with 'model'");
            }
            for (Object key : m.keySet()) {
                if (!MODEL_KEYS.contains(String.valueOf(key))) {
                    throw new ConfigException("unknown key '" + key + "' in " + where + "; expected model, parameters");
                }
            }
            String model = requireString(m, "model", where);
            out.add(new ModelEntry(model, readParameters(m.get("parameters"), where + ".parameters")));
        }
        return out;
    }

    private static List<OutputSlice> readSlices(Object node) {
        if (!(node instanceof List<?> list) || list.isEmpty()) {
            throw new ConfigException("'slices' must be a non-empty list of {sources: [{model, layer_range}, ...]}");
        }
        List<OutputSlice> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String where = "slices[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw new ConfigException(where + " must be a mapping with 'sources'");
            }
            for (Object key : m.keySet()) {
                if (!SLICE_KEYS.contains(String.valueOf(key))) {
                    throw new ConfigException("unknown key '" + key + "' in " + where + "; expected sources,"
                            + " base_model, residual_weight, parameters");
                }
            }
            if (!(m.get("sources") instanceof List<?> sources) || sources.isEmpty()) {
                throw new ConfigException(where + ".sources must be a non-empty list of {model, layer_range}");
            }
            List<OutputSlice.Source> read = new ArrayList<>();
            for (int j = 0; j < sources.size(); j++) {
                read.add(readSource(sources.get(j), where + ".sources[" + j + "]"));
            }
            int layers = read.getFirst().end() - read.getFirst().start();
            for (int j = 1; j < read.size(); j++) {
                if (read.get(j).end() - read.get(j).start() != layers) {
                    throw new ConfigException(where + ": every source of a slice must span the same number of"
                            + " layers; sources[0] spans " + layers + ", sources[" + j + "] spans "
                            + (read.get(j).end() - read.get(j).start()));
                }
            }
            String base = m.get("base_model") == null ? null : requireString(m, "base_model", where);
            Object residual = m.get("residual_weight");
            if (residual != null && !(residual instanceof Number)) {
                throw new ConfigException(where + ".residual_weight must be a number, found '" + residual + "'");
            }
            out.add(new OutputSlice(read, base, residual == null ? null : ((Number) residual).doubleValue(),
                    readParameters(m.get("parameters"), where + ".parameters")));
        }
        return out;
    }

    private static OutputSlice.Source readSource(Object node, String where) {
        if (!(node instanceof Map<?, ?> m)) {
            throw new ConfigException(where + " must be a mapping with 'model' and 'layer_range'");
        }
        for (Object key : m.keySet()) {
            if (!"model".equals(key) && !"layer_range".equals(key) && !"parameters".equals(key)) {
                throw new ConfigException("unknown key '" + key + "' in " + where + "; expected model, layer_range,"
                        + " parameters");
            }
        }
        String model = requireString(m, "model", where);
        if (!(m.get("layer_range") instanceof List<?> range) || range.size() != 2
                || !(range.get(0) instanceof Integer start) || !(range.get(1) instanceof Integer end)) {
            throw new ConfigException(where + ".layer_range must be [start, end] (whole numbers, end exclusive)");
        }
        if (start < 0 || end <= start) {
            throw new ConfigException(where + ".layer_range [" + start + ", " + end + "] is empty or negative;"
                    + " write [start, end) with 0 <= start < end");
        }
        return new OutputSlice.Source(model, start, end, readParameters(m.get("parameters"), where + ".parameters"));
    }

    private static Map<String, ParameterValue> readParameters(Object node, String where) {
        if (node == null) {
            return Map.of();
        }
        if (!(node instanceof Map<?, ?> map)) {
            throw new ConfigException(where + " must be a mapping of parameter names to values");
        }
        Map<String, ParameterValue> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String name = String.valueOf(e.getKey());
            out.put(name, readValue(e.getValue(), where + "." + name));
        }
        return out;
    }

    private static ParameterValue readValue(Object v, String where) {
        if (v instanceof Number || v instanceof Boolean || v instanceof String) {
            return new ParameterValue.Scalar(v instanceof Number n ? (Object) n.doubleValue() : v);
        }
        if (v instanceof List<?> list && !list.isEmpty() && list.getFirst() instanceof Map) {
            return readConditions(list, where);
        }
        if (v instanceof List<?> list && !list.isEmpty()) {
            List<Double> points = new ArrayList<>();
            for (Object p : list) {
                if (!(p instanceof Number n)) {
                    throw new ConfigException(where + ": a gradient must be a list of numbers, found " + p);
                }
                points.add(n.doubleValue());
            }
            return new ParameterValue.Gradient(points);
        }
        throw new ConfigException(where + ": expected a number, boolean, gradient list or list of"
                + " {filter, value} conditions, found " + v);
    }

    private static ParameterValue readConditions(List<?> list, String where) {
        List<ParameterValue.Condition> conditions = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> m) || !m.containsKey("value")) {
                throw new ConfigException(where + "[" + i + "]: a condition needs 'value' (and optionally 'filter')");
            }
            for (Object key : m.keySet()) {
                if (!"filter".equals(key) && !"pattern".equals(key) && !"value".equals(key)) {
                    throw new ConfigException("unknown key '" + key + "' in " + where + "[" + i
                            + "]; expected filter, value");
                }
            }
            if (m.containsKey("filter") && m.containsKey("pattern")) {
                throw new ConfigException(where + "[" + i + "]: give 'filter' or its older spelling 'pattern', not"
                        + " both");
            }
            // mergekit's examples (gradient-slerp.yml) still spell the filter 'pattern'
            Object filter = m.containsKey("filter") ? m.get("filter") : m.get("pattern");
            conditions.add(new ParameterValue.Condition(filter == null ? null : String.valueOf(filter),
                    readValue(m.get("value"), where + "[" + i + "].value")));
        }
        return new ParameterValue.Conditional(conditions);
    }
}
