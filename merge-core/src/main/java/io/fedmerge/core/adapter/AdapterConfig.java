package io.fedmerge.core.adapter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * What a PEFT {@code adapter_config.json} says about a LoRA adapter, with PEFT's defaults for absent fields (r = 8,
 * lora_alpha = 8). Module names are the base model's, e.g. {@code model.layers.0.self_attn.q_proj}; patterns in
 * {@code rank_pattern}/{@code alpha_pattern} match a name's tail at a dot boundary, as PEFT matches them.
 *
 * @param targetModules the names (list form) PEFT matched by suffix; empty when {@code targetRegex} is used
 * @param targetRegex the regex form of {@code target_modules} (full match), or "all-linear", or null
 * @param layersToTransform the layer indices LoRA was restricted to, empty for all
 * @param json the file's text as parsed, re-written into merged adapters and manifests
 * @param source the file it came from, named in messages
 */
public record AdapterConfig(
        int r,
        double loraAlpha,
        boolean useRslora,
        boolean fanInFanOut,
        List<String> targetModules,
        String targetRegex,
        Map<String, Integer> rankPattern,
        Map<String, Double> alphaPattern,
        Set<Integer> layersToTransform,
        List<String> modulesToSave,
        String baseModelNameOrPath,
        ObjectNode json,
        Path source) {

    public static final String FILE = "adapter_config.json";
    private static final JsonMapper MAPPER = JsonMapper.builder().build();
    private static final Pattern LAYER_INDEX = Pattern.compile("\\.(\\d{1,9})(?:\\.|$)");

    public AdapterConfig {
        targetModules = List.copyOf(targetModules);
        rankPattern = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(rankPattern));
        alphaPattern = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(alphaPattern));
        layersToTransform = Set.copyOf(layersToTransform);
        modulesToSave = List.copyOf(modulesToSave);
    }

    /** Reads and checks {@code dir/adapter_config.json}; refuses every PEFT feature fedmerge does not merge. */
    public static AdapterConfig read(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new InvalidAdapterException(dir, "no " + FILE + ": a PEFT adapter directory has " + FILE
                    + " and adapter_model.safetensors (save it with model.save_pretrained(dir))");
        }
        try {
            return parse(file, Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public static AdapterConfig parse(Path file, String text) {
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JacksonException e) {
            throw new InvalidAdapterException(file, "is not valid JSON: " + e.getOriginalMessage());
        }
        if (!(root instanceof ObjectNode o)) {
            throw new InvalidAdapterException(file, "must hold a JSON object (PEFT's LoraConfig), found "
                    + root.getNodeType());
        }
        String type = o.path("peft_type").asString("LORA");
        if (!type.equals("LORA")) {
            throw new InvalidAdapterException(file, "peft_type is " + type + "; fedmerge merges LoRA adapters only"
                    + " (merge or convert a " + type + " adapter into a full checkpoint first)");
        }
        refuseIf(file, o.path("use_dora").asBoolean(false), "use_dora is true: DoRA's magnitude vectors are not"
                + " supported; merge the adapter into the model (PEFT merge_and_unload) and contribute the checkpoint");
        String bias = o.path("bias").asString("none");
        refuseIf(file, !bias.equals("none"), "bias is '" + bias + "': trained bias vectors are not supported;"
                + " train with bias='none', or merge the adapter into the model and contribute the checkpoint");
        refuseIf(file, o.path("lora_bias").asBoolean(false), "lora_bias is true: a bias on lora_B is not supported");
        int r = positiveInt(file, o, "r", 8);
        double alpha = number(file, o, "lora_alpha", 8);
        List<String> targets = new ArrayList<>();
        String regex = null;
        JsonNode t = o.path("target_modules");
        if (t.isString()) {
            regex = t.stringValue();
            compile(file, "target_modules", regex);
        } else if (t.isArray()) {
            t.values().forEach(v -> targets.add(string(file, "target_modules", v)));
        } else if (!t.isMissingNode() && !t.isNull()) {
            throw new InvalidAdapterException(file, "target_modules must be a list of module names or a regex string");
        }
        Map<String, Integer> ranks = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : objectOrEmpty(file, o, "rank_pattern").properties()) {
            compile(file, "rank_pattern", e.getKey());
            compile(file, "rank_pattern", tailPattern(e.getKey()));
            ranks.put(e.getKey(), positiveInt(file, "rank_pattern." + e.getKey(), e.getValue()));
        }
        Map<String, Double> alphas = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : objectOrEmpty(file, o, "alpha_pattern").properties()) {
            compile(file, "alpha_pattern", e.getKey());
            compile(file, "alpha_pattern", tailPattern(e.getKey()));
            if (!e.getValue().isNumber()) {
                throw new InvalidAdapterException(file, "alpha_pattern." + e.getKey() + " must be a number");
            }
            alphas.put(e.getKey(), e.getValue().doubleValue());
        }
        Set<Integer> layers = new TreeSet<>();
        JsonNode l = o.path("layers_to_transform");
        if (l.isNumber()) {
            layers.add(positiveOrZero(file, l));
        } else if (l.isArray()) {
            l.values().forEach(v -> layers.add(positiveOrZero(file, v)));
        }
        List<String> save = new ArrayList<>();
        JsonNode m = o.path("modules_to_save");
        if (m.isArray()) {
            m.values().forEach(v -> save.add(string(file, "modules_to_save", v)));
        }
        return new AdapterConfig(r, alpha, o.path("use_rslora").asBoolean(false),
                o.path("fan_in_fan_out").asBoolean(false), targets, regex, ranks, alphas, layers, save,
                o.path("base_model_name_or_path").asString(""), o, file);
    }

    /**
     * The {@code adapter_config.json} of a plain LoRA adapter as PEFT writes it (what fedmerge produces: generated,
     * extracted and merged adapters).
     */
    public static String plainLora(int r, double alpha, List<String> targets, String baseModel) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("peft_type", "LORA");
        o.put("task_type", "CAUSAL_LM");
        o.put("base_model_name_or_path", baseModel);
        o.put("r", r);
        o.put("lora_alpha", alpha);
        o.put("lora_dropout", 0.0);
        o.put("use_rslora", false);
        o.put("use_dora", false);
        o.put("fan_in_fan_out", false);
        o.put("bias", "none");
        targets.forEach(o.putArray("target_modules")::add);
        o.putObject("rank_pattern");
        o.putObject("alpha_pattern");
        o.putNull("modules_to_save");
        return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
    }

    /** The rank {@code module} was trained with: the first matching {@code rank_pattern}, else {@code r}. */
    public int rankOf(String module) {
        String key = patternFor(rankPattern.keySet(), module);
        return key == null ? r : rankPattern.get(key);
    }

    /** ΔW = scale · B·A: lora_alpha / r, or lora_alpha / √r with rsLoRA, each from the module's patterns. */
    public double scaleOf(String module) {
        String key = patternFor(alphaPattern.keySet(), module);
        double alpha = key == null ? loraAlpha : alphaPattern.get(key);
        int rank = rankOf(module);
        return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /** Whether {@code target_modules} names {@code module} (PEFT: exact or dotted suffix; regex: full match). */
    public boolean targets(String module) {
        if (targetRegex != null) {
            return targetRegex.equals("all-linear")
                    || BoundedMatch.matches(targetRegex, module, source, "target_modules");
        }
        for (String name : targetModules) {
            if (module.equals(name) || module.endsWith("." + name)) {
                return true;
            }
        }
        return targetModules.isEmpty();
    }

    /** Whether the module's layer (its first numeric name segment) is one LoRA was applied to. */
    public boolean inTransformedLayers(String module) {
        if (layersToTransform.isEmpty()) {
            return true;
        }
        Matcher m = LAYER_INDEX.matcher(module);
        return m.find() && layersToTransform.contains(Integer.parseInt(m.group(1)));
    }

    /** Whether {@code modules_to_save} names {@code module} (dotted suffix, as PEFT matches it). */
    public boolean saves(String module) {
        for (String name : modulesToSave) {
            if (module.equals(name) || module.endsWith("." + name)) {
                return true;
            }
        }
        return false;
    }

    private String patternFor(Set<String> patterns, String module) {
        for (String p : patterns) {
            if (BoundedMatch.matches(tailPattern(p), module, source, "pattern")) {
                return p;
            }
        }
        return null;
    }

    /** How PEFT applies a rank/alpha pattern: to the module name's tail at a dot boundary. */
    private static String tailPattern(String pattern) {
        return "(.*\\.)?(" + pattern + ")";
    }

    private static void refuseIf(Path file, boolean condition, String problem) {
        if (condition) {
            throw new InvalidAdapterException(file, problem);
        }
    }

    private static void compile(Path file, String field, String regex) {
        try {
            Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new InvalidAdapterException(file, field + " '" + regex + "' is not a valid regular expression: "
                    + e.getDescription());
        }
    }

    private static JsonNode objectOrEmpty(Path file, ObjectNode o, String field) {
        JsonNode n = o.path(field);
        if (n.isMissingNode() || n.isNull()) {
            return MAPPER.createObjectNode();
        }
        if (!n.isObject()) {
            throw new InvalidAdapterException(file, field + " must be an object of pattern: value");
        }
        return n;
    }

    private static int positiveInt(Path file, ObjectNode o, String field, int absent) {
        JsonNode n = o.path(field);
        return n.isMissingNode() || n.isNull() ? absent : positiveInt(file, field, n);
    }

    private static int positiveInt(Path file, String field, JsonNode n) {
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() <= 0) {
            throw new InvalidAdapterException(file, field + " must be a positive integer, found " + n);
        }
        return n.intValue();
    }

    private static int positiveOrZero(Path file, JsonNode n) {
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 0) {
            throw new InvalidAdapterException(file, "layers_to_transform must hold layer indices, found " + n);
        }
        return n.intValue();
    }

    private static double number(Path file, ObjectNode o, String field, double absent) {
        JsonNode n = o.path(field);
        if (n.isMissingNode() || n.isNull()) {
            return absent;
        }
        if (!n.isNumber() || !Double.isFinite(n.doubleValue())) {
            throw new InvalidAdapterException(file, field + " must be a finite number, found " + n);
        }
        return n.doubleValue();
    }

    private static String string(Path file, String field, JsonNode n) {
        if (!n.isString()) {
            throw new InvalidAdapterException(file, field + " must list module names as strings, found " + n);
        }
        return n.stringValue();
    }
}
