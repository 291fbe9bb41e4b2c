package io.fedmerge.core.adapter;

import io.fedmerge.core.io.MappedElements;
import io.fedmerge.core.io.SafetensorsFile;
import io.fedmerge.core.io.TensorInfo;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;

/**
 * A PEFT LoRA adapter directory, opened and checked against itself ({@link AdapterLayout}; the base is checked by
 * whoever applies it): every lora_A has its lora_B, ranks agree with the config, every module is one the config
 * targets, no DoRA, no pickles. Factors stay in the mapped file; {@link #readFactor} decodes one on demand (they are small: r·(in+out)).
 */
public final class LoraAdapter implements AutoCloseable {
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    public static final String PICKLE_FILE = "adapter_model.bin";
    static final String PREFIX = "base_model.model.";

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
            AdapterLayout layout = AdapterLayout.of(weights, config, file.tensors());
            return new LoraAdapter(dir, config, file, layout.modules(), layout.saved());
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
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
