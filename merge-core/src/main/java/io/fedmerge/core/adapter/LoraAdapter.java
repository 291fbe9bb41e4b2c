package io.fedmerge.core.adapter;

import io.fedmerge.core.io.MappedElements;
import io.fedmerge.core.io.SafetensorsFile;
import io.fedmerge.core.io.TensorInfo;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PEFT LoRA adapter directory, opened and checked against itself (the base is checked by whoever applies it):
 * every lora_A has its lora_B, ranks agree with the config, every module is one the config targets, no DoRA, no
 * pickles. Factors stay in the mapped file; {@link #readFactor} decodes one on demand (they are small: r·(in+out)).
 */
public final class LoraAdapter implements AutoCloseable {
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    public static final String PICKLE_FILE = "adapter_model.bin";
    private static final String PREFIX = "base_model.model.";
    private static final Pattern FACTOR = Pattern.compile(
            "(.+)\\.(lora_A|lora_B|lora_embedding_A|lora_embedding_B)(?:\\.([A-Za-z0-9_-]+))?(?:\\.weight)?");
    private static final Pattern SAVED = Pattern.compile("(.+?)(?:\\.modules_to_save\\.[A-Za-z0-9_-]+)?\\.(weight|bias)");

    private final Path directory;
    private final AdapterConfig config;
    private final SafetensorsFile file;
    private final Map<String, LoraModule> modulesByWeight;
    private final Map<String, TensorInfo> savedByTensor;

    private LoraAdapter(Path directory, AdapterConfig config, SafetensorsFile file, Map<String, LoraModule> modules,
            Map<String, TensorInfo> saved) {
        this.directory = directory;
        this.config = config;
        this.file = file;
        this.modulesByWeight = Collections.unmodifiableMap(modules);
        this.savedByTensor = Collections.unmodifiableMap(saved);
    }

    /** The key PEFT saves a factor under: {@code base_model.model.<module>.lora_A.weight} (or lora_B). */
    public static String factorKey(String module, boolean a) {
        return PREFIX + module + (a ? ".lora_A.weight" : ".lora_B.weight");
    }

    /** Whether {@code dir} looks like a PEFT adapter directory (it has adapter_config.json). */
    public static boolean isAdapterDirectory(Path dir) {
        return Files.isRegularFile(dir.resolve(AdapterConfig.FILE));
    }

    public static LoraAdapter open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new InvalidAdapterException(dir, "no such adapter directory");
        }
        AdapterConfig config = AdapterConfig.read(dir);
        Path weights = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            if (Files.exists(dir.resolve(PICKLE_FILE))) {
                throw new InvalidAdapterException(dir, PICKLE_FILE + " is a Python pickle, which can run arbitrary"
                        + " code when loaded, so fedmerge never reads it; convert it to " + WEIGHTS_FILE
                        + " (PEFT: model.save_pretrained(dir, safe_serialization=True))");
            }
            throw new InvalidAdapterException(dir, "no " + WEIGHTS_FILE + " beside " + AdapterConfig.FILE);
        }
        SafetensorsFile file = SafetensorsFile.open(weights);
        try {
            Map<String, TensorInfo[]> factors = new LinkedHashMap<>();
            Map<String, Boolean> embedding = new LinkedHashMap<>();
            Map<String, TensorInfo> saved = new LinkedHashMap<>();
            String adapterName = null;
            for (TensorInfo t : file.tensors()) {
                String key = t.name().startsWith(PREFIX) ? t.name().substring(PREFIX.length()) : t.name();
                refuseUnsupported(weights, t.name(), key);
                Matcher f = FACTOR.matcher(key);
                if (f.matches()) {
                    String name = f.group(3);
                    if (name != null && adapterName != null && !name.equals(adapterName)) {
                        throw new InvalidAdapterException(weights, "holds two adapters ('" + adapterName + "' and '"
                                + name + "'); save each adapter to its own directory");
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
                throw new InvalidAdapterException(weights, "tensor '" + t.name() + "' is neither a LoRA factor"
                        + " (…lora_A.weight / …lora_B.weight) nor a module listed in modules_to_save "
                        + config.modulesToSave());
            }
            Map<String, LoraModule> modules = new LinkedHashMap<>();
            for (Map.Entry<String, TensorInfo[]> e : factors.entrySet()) {
                LoraModule m = module(weights, config, e.getKey(), e.getValue(), embedding.get(e.getKey()));
                modules.put(m.weight(), m);
                if (saved.containsKey(m.weight())) {
                    throw new InvalidAdapterException(weights, "module '" + e.getKey() + "' has both LoRA factors"
                            + " and a saved copy (modules_to_save); PEFT never writes both");
                }
            }
            if (modules.isEmpty() && saved.isEmpty()) {
                throw new InvalidAdapterException(weights, "holds no LoRA factors");
            }
            return new LoraAdapter(dir, config, file, modules, saved);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static void refuseUnsupported(Path weights, String full, String key) {
        if (key.contains("lora_magnitude_vector")) {
            throw new InvalidAdapterException(weights, "tensor '" + full + "' is a DoRA magnitude vector; DoRA is"
                    + " not supported: merge the adapter into the model (PEFT merge_and_unload) and contribute that");
        }
        if (key.matches(".*\\.lora_[AB](\\.[A-Za-z0-9_-]+)?\\.bias")) {
            throw new InvalidAdapterException(weights, "tensor '" + full + "' is a LoRA bias (lora_bias=True),"
                    + " which is not supported; train with lora_bias=False");
        }
    }

    private static LoraModule module(Path weights, AdapterConfig config, String module, TensorInfo[] ab,
            boolean embedding) {
        String kindA = embedding ? "lora_embedding_A" : "lora_A";
        String kindB = embedding ? "lora_embedding_B" : "lora_B";
        if (ab[0] == null || ab[1] == null) {
            throw new InvalidAdapterException(weights, "module '" + module + "' has " + (ab[0] == null ? kindB
                    : kindA) + " but no " + (ab[0] == null ? kindA : kindB) + "; the file is incomplete");
        }
        TensorInfo a = ab[0];
        TensorInfo b = ab[1];
        if (a.rank() != 2 || b.rank() != 2) {
            throw new InvalidAdapterException(weights, "module '" + module + "': " + kindA + " " + a.shapeString()
                    + " and " + kindB + " " + b.shapeString() + " must both be matrices");
        }
        if (a.dim(0) != b.dim(1)) {
            throw new InvalidAdapterException(weights, "module '" + module + "': " + kindA + " " + a.shapeString()
                    + " has rank " + a.dim(0) + " but " + kindB + " " + b.shapeString() + " has rank " + b.dim(1));
        }
        int expected = config.rankOf(module);
        if (a.dim(0) != expected) {
            throw new InvalidAdapterException(weights, "module '" + module + "' has rank " + a.dim(0) + " but "
                    + AdapterConfig.FILE + " says r = " + expected + (config.rankPattern().isEmpty() ? ""
                            : " (after rank_pattern)") + "; the config and the weights are from different runs");
        }
        if (!config.targets(module)) {
            throw new InvalidAdapterException(weights, "module '" + module + "' is not among target_modules "
                    + (config.targetRegex() != null ? "'" + config.targetRegex() + "'" : config.targetModules())
                    + " of " + AdapterConfig.FILE + "; the config and the weights are from different runs");
        }
        if (!config.inTransformedLayers(module)) {
            throw new InvalidAdapterException(weights, "module '" + module + "' lies outside layers_to_transform "
                    + config.layersToTransform());
        }
        return new LoraModule(module, a, b, config.scaleOf(module), embedding || config.fanInFanOut(), embedding);
    }

    public Path directory() {
        return directory;
    }

    public AdapterConfig config() {
        return config;
    }

    /** LoRA-adapted modules, keyed by the base tensor their ΔW applies to. */
    public Map<String, LoraModule> modules() {
        return modulesByWeight;
    }

    /** Dense replacements ({@code modules_to_save}), keyed by base tensor name. */
    public Map<String, TensorInfo> savedTensors() {
        return savedByTensor;
    }

    public long totalBytes() {
        return file.tensors().stream().mapToLong(TensorInfo::byteLength).sum();
    }

    /** Decodes elements [first, first + count) of a factor (or saved tensor) of this adapter. */
    public void read(TensorInfo t, long first, int count, float[] dst) {
        file.readFloats(t, first, count, dst);
    }

    public MappedElements map(TensorInfo t, long first, int count, Arena arena) {
        return file.mapElements(t, first, count, arena);
    }

    @Override
    public void close() {
        file.close();
    }
}
