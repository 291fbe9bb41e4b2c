package io.fedmerge.core.adapter;

import io.fedmerge.core.io.TensorInfo;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an adapter's tensors are, from their names and shapes alone (so a hub can check an upload's manifest before
 * any byte of it arrives): LoRA factor pairs grouped by module, and whole saved tensors. Checked: every lora_A has
 * its lora_B with the same rank, the rank the config gives the module, the module is one the config targets, one
 * adapter name, nothing unsupported (DoRA, LoRA biases) and nothing unexplained.
 *
 * @param modules LoRA-adapted modules, keyed by the base tensor their ΔW applies to, in file order
 * @param saved whole tensors ({@code modules_to_save}), keyed by base tensor name
 */
public record AdapterLayout(Map<String, LoraModule> modules, Map<String, TensorInfo> saved) {
    private static final Pattern FACTOR = Pattern.compile(
            "(.+)\\.(lora_A|lora_B|lora_embedding_A|lora_embedding_B)(?:\\.([A-Za-z0-9_-]+))?(?:\\.weight)?");
    private static final Pattern SAVED = Pattern.compile("(.+?)(?:\\.modules_to_save\\.[A-Za-z0-9_-]+)?\\.(weight|bias)");

    public AdapterLayout {
        modules = Collections.unmodifiableMap(new LinkedHashMap<>(modules));
        saved = Collections.unmodifiableMap(new LinkedHashMap<>(saved));
    }

    /** @param where the weights file (or the upload) named in messages */
    public static AdapterLayout of(Path where, AdapterConfig config, List<TensorInfo> tensors) {
        Map<String, TensorInfo[]> factors = new LinkedHashMap<>();
        Map<String, Boolean> embedding = new LinkedHashMap<>();
        Map<String, TensorInfo> saved = new LinkedHashMap<>();
        String adapterName = null;
        for (TensorInfo t : tensors) {
            String key = t.name().startsWith(LoraAdapter.PREFIX) ? t.name().substring(LoraAdapter.PREFIX.length())
                    : t.name();
            refuseUnsupported(where, t.name(), key);
            Matcher f = FACTOR.matcher(key);
            if (f.matches()) {
                String name = f.group(3);
                if (name != null && adapterName != null && !name.equals(adapterName)) {
                    throw new InvalidAdapterException(where, "holds two adapters ('" + adapterName + "' and '" + name
                            + "'); save each adapter to its own directory");
                }
                adapterName = name == null ? adapterName : name;
                boolean isA = f.group(2).endsWith("A");
                factors.computeIfAbsent(f.group(1), k -> new TensorInfo[2])[isA ? 0 : 1] = t;
                embedding.put(f.group(1), f.group(2).contains("embedding"));
                continue;
            }
            Matcher s = SAVED.matcher(key);
            if (s.matches() && config.saves(s.group(1))) {
                saved.put(s.group(1) + "." + s.group(2), t);
                continue;
            }
            throw new InvalidAdapterException(where, "tensor '" + t.name() + "' is neither a LoRA factor"
                    + " (…lora_A.weight / …lora_B.weight) nor a module listed in modules_to_save "
                    + config.modulesToSave());
        }
        Map<String, LoraModule> modules = new LinkedHashMap<>();
        for (Map.Entry<String, TensorInfo[]> e : factors.entrySet()) {
            LoraModule m = module(where, config, e.getKey(), e.getValue(), embedding.get(e.getKey()));
            modules.put(m.weight(), m);
            if (saved.containsKey(m.weight())) {
                throw new InvalidAdapterException(where, "module '" + e.getKey() + "' has both LoRA factors and a"
                        + " saved copy (modules_to_save); PEFT never writes both");
            }
        }
        if (modules.isEmpty() && saved.isEmpty()) {
            throw new InvalidAdapterException(where, "holds no LoRA factors");
        }
        return new AdapterLayout(modules, saved);
    }

    /**
     * The first way this adapter does not fit a base whose tensor shapes {@code baseShape} gives (null for a tensor
     * it lacks), or null when it fits; saved embeddings with extra vocabulary rows fit, with a warning.
     *
     * @param label names the adapter in messages, e.g. "adapter hospital-a"
     */
    public String mismatch(Function<String, long[]> baseShape, String label, String trainedOn,
            List<String> warnings) {
        String on = trainedOn.isBlank() ? "" : " (its adapter_config.json says it was trained on " + trainedOn + ")";
        for (LoraModule m : modules.values()) {
            long[] w = baseShape.apply(m.weight());
            if (w == null) {
                return label + " adapts module '" + m.module() + "' but the base has no tensor '" + m.weight()
                        + "'; was the adapter trained on another architecture" + on + "?";
            }
            if (!Arrays.equals(w, m.deltaShape())) {
                return label + ": module '" + m.module() + "' gives ΔW " + Arrays.toString(m.deltaShape())
                        + " (lora_B " + m.b().shapeString() + " × lora_A " + m.a().shapeString()
                        + (m.transposed() ? ", transposed" : "") + ") but the base tensor '" + m.weight() + "' is "
                        + Arrays.toString(w) + "; the adapter was made for another base model" + on;
            }
        }
        for (Map.Entry<String, TensorInfo> e : saved.entrySet()) {
            long[] b = baseShape.apply(e.getKey());
            TensorInfo s = e.getValue();
            if (b == null) {
                return label + " saves tensor '" + e.getKey() + "' (modules_to_save) which the base does not have;"
                        + " was it trained on another base model" + on + "?";
            }
            if (Arrays.equals(b, s.shape())) {
                continue;
            }
            if (isVocabulary(e.getKey()) && b.length == 2 && s.rank() == 2 && b[1] == s.dim(1) && s.dim(0) > b[0]) {
                warnings.add(label + ": saved tensor '" + e.getKey() + "' has " + s.dim(0) + " vocabulary rows, the"
                        + " base " + b[0] + "; the extra " + (s.dim(0) - b[0]) + " rows are dropped");
                continue;
            }
            return label + ": saved tensor '" + e.getKey() + "' has shape " + s.shapeString() + " but the base has "
                    + Arrays.toString(b) + on;
        }
        return null;
    }

    private static boolean isVocabulary(String name) {
        return name.contains("embed_tokens") || name.contains("lm_head") || name.contains("wte");
    }

    private static void refuseUnsupported(Path where, String full, String key) {
        if (key.contains("lora_magnitude_vector")) {
            throw new InvalidAdapterException(where, "tensor '" + full + "' is a DoRA magnitude vector; DoRA is"
                    + " not supported: merge the adapter into the model (PEFT merge_and_unload) and contribute that");
        }
        if (key.matches(".*\\.lora_[AB](\\.[A-Za-z0-9_-]+)?\\.bias")) {
            throw new InvalidAdapterException(where, "tensor '" + full + "' is a LoRA bias (lora_bias=True),"
                    + " which is not supported; train with lora_bias=False");
        }
    }

    private static LoraModule module(Path where, AdapterConfig config, String module, TensorInfo[] ab,
            boolean embedding) {
        String kindA = embedding ? "lora_embedding_A" : "lora_A";
        String kindB = embedding ? "lora_embedding_B" : "lora_B";
        if (ab[0] == null || ab[1] == null) {
            throw new InvalidAdapterException(where, "module '" + module + "' has " + (ab[0] == null ? kindB : kindA)
                    + " but no " + (ab[0] == null ? kindA : kindB) + "; the file is incomplete");
        }
        TensorInfo a = ab[0];
        TensorInfo b = ab[1];
        if (a.rank() != 2 || b.rank() != 2) {
            throw new InvalidAdapterException(where, "module '" + module + "': " + kindA + " " + a.shapeString()
                    + " and " + kindB + " " + b.shapeString() + " must both be matrices");
        }
        if (a.dim(0) != b.dim(1)) {
            throw new InvalidAdapterException(where, "module '" + module + "': " + kindA + " " + a.shapeString()
                    + " has rank " + a.dim(0) + " but " + kindB + " " + b.shapeString() + " has rank " + b.dim(1));
        }
        int expected = config.rankOf(module);
        if (a.dim(0) != expected) {
            throw new InvalidAdapterException(where, "module '" + module + "' has rank " + a.dim(0) + " but "
                    + AdapterConfig.FILE + " says r = " + expected + (config.rankPattern().isEmpty() ? ""
                            : " (after rank_pattern)") + "; the config and the weights are from different runs");
        }
        if (!config.targets(module)) {
            throw new InvalidAdapterException(where, "module '" + module + "' is not among target_modules "
                    + (config.targetRegex() != null ? "'" + config.targetRegex() + "'" : config.targetModules())
                    + " of " + AdapterConfig.FILE + "; the config and the weights are from different runs");
        }
        if (!config.inTransformedLayers(module)) {
            throw new InvalidAdapterException(where, "module '" + module + "' lies outside layers_to_transform "
                    + config.layersToTransform());
        }
        return new LoraModule(module, a, b, config.scaleOf(module), embedding || config.fanInFanOut(), embedding);
    }
}
