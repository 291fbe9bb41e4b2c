package io.fedmerge.core.adapter;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.SafetensorsWriter;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.io.TensorSpec;
import io.fedmerge.core.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds PEFT adapter directories for tests, in every key spelling PEFT writes, and materialises them onto a base
 * the obvious way: W + s·B·A in float64, element by element, with the scale taken from the module's own numbers
 * (not from {@link AdapterConfig}), so a test compares fedmerge's streaming computation with an independent one.
 */
public final class PeftFixture {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One adapted module: factors as PEFT stores them, and how ΔW is laid out in the base. */
    public record Lora(String module, int rank, double scale, boolean transposed, boolean embedding, long aCols,
            long bRows, float[] a, float[] b) {}

    private final ObjectNode config = JSON.createObjectNode();
    private final Map<String, Lora> loras = new LinkedHashMap<>();
    private final Map<String, float[]> saved = new LinkedHashMap<>();
    private final Map<String, long[]> savedShapes = new LinkedHashMap<>();
    private final Map<String, Object[]> extra = new LinkedHashMap<>();
    private String adapterName;
    private DType dtype = DType.F32;

    public PeftFixture(int r, double alpha) {
        config.put("peft_type", "LORA");
        config.put("r", r);
        config.put("lora_alpha", alpha);
        config.put("bias", "none");
    }

    /** The JSON written as adapter_config.json; tests add fields (rank_pattern, use_rslora...) to it directly. */
    public ObjectNode config() {
        return config;
    }

    /** Keys as PEFT spells them with an adapter name: {@code ….lora_A.<name>.weight}. */
    public PeftFixture adapterName(String name) {
        this.adapterName = name;
        return this;
    }

    public PeftFixture dtype(DType d) {
        this.dtype = d;
        return this;
    }

    /**
     * Adds random factors for {@code module}, whose base weight is {@code rows × cols}; with {@code transposed}
     * (fan_in_fan_out, or an embedding) the base stores ΔWᵀ, so A is [rank, rows] and B [cols, rank].
     */
    public PeftFixture lora(String module, long rows, long cols, int rank, double scale, boolean transposed,
            boolean embedding, long seed) {
        long aCols = transposed ? rows : cols;
        long bRows = transposed ? cols : rows;
        Random random = new Random(seed);
        float[] a = new float[(int) (rank * aCols)];
        float[] b = new float[(int) (bRows * rank)];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (random.nextGaussian() * 0.05);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) (random.nextGaussian() * 0.05);
        }
        loras.put(module, new Lora(module, rank, scale, transposed, embedding, aCols, bRows, a, b));
        return this;
    }

    /** A modules_to_save tensor: a full replacement weight (named as in the base, e.g. lm_head.weight). */
    public PeftFixture saved(String tensor, long[] shape, float[] values) {
        saved.put(tensor, values);
        savedShapes.put(tensor, shape);
        return this;
    }

    /** Any other tensor, under exactly this key (DoRA vectors, stray keys, a lone lora_A...). */
    public PeftFixture rawTensor(String key, long[] shape, float[] values) {
        extra.put(key, new Object[] {shape, values});
        return this;
    }

    public Map<String, Lora> loras() {
        return loras;
    }

    public Path write(Path dir) {
        List<TensorSpec> specs = new ArrayList<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        loras.values().forEach(l -> {
            String a = key(l, true);
            String b = key(l, false);
            specs.add(new TensorSpec(a, dtype, new long[] {l.rank(), l.aCols()}));
            specs.add(new TensorSpec(b, dtype, new long[] {l.bRows(), l.rank()}));
            values.put(a, l.a());
            values.put(b, l.b());
        });
        saved.forEach((t, v) -> {
            specs.add(new TensorSpec("base_model.model." + t, dtype, savedShapes.get(t)));
            values.put("base_model.model." + t, v);
        });
        extra.forEach((k, v) -> {
            specs.add(new TensorSpec(k, dtype, (long[]) v[0]));
            values.put(k, (float[]) v[1]);
        });
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(AdapterConfig.FILE), JSON.writeValueAsString(config));
            try (SafetensorsWriter w = new SafetensorsWriter(dir.resolve(LoraAdapter.WEIGHTS_FILE), specs,
                    Map.of("format", "pt"))) {
                values.forEach((k, v) -> w.write(k, 0, v, v.length));
                w.sync();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    private String key(Lora l, boolean a) {
        String kind = l.embedding() ? (a ? "lora_embedding_A" : "lora_embedding_B") : (a ? "lora_A" : "lora_B");
        String name = adapterName == null ? "" : "." + adapterName;
        return "base_model.model." + l.module() + "." + kind + name + (l.embedding() ? "" : ".weight");
    }

    /** ΔW of one module in the base's storage layout, in float64: s·Σₖ B[o,k]·A[k,i] at [o,i] (or at [i,o]). */
    public static double[] delta(Lora l) {
        long outRows = l.bRows();
        long inCols = l.aCols();
        double[] d = new double[(int) (outRows * inCols)];
        for (int o = 0; o < outRows; o++) {
            for (int i = 0; i < inCols; i++) {
                double acc = 0;
                for (int k = 0; k < l.rank(); k++) {
                    acc += (double) l.b()[o * l.rank() + k] * l.a()[(int) (k * inCols + i)];
                }
                int at = l.transposed() ? (int) (i * outRows + o) : (int) (o * inCols + i);
                d[at] = l.scale() * acc;
            }
        }
        return d;
    }

    /** Writes base + adapter as a float32 checkpoint, every value computed in float64 and rounded once. */
    public Path materialise(Checkpoint base, Path out) {
        List<TensorSpec> specs = new ArrayList<>();
        for (String name : base.tensorNames()) {
            specs.add(new TensorSpec(name, DType.F32, base.info(name).shape()));
        }
        try (CheckpointWriter w = new CheckpointWriter(out, specs, CheckpointWriter.DEFAULT_SHARD_BYTES,
                Map.of("format", "pt"))) {
            for (String name : base.tensorNames()) {
                TensorInfo t = base.info(name);
                float[] v = new float[(int) t.elementCount()];
                base.readFloats(name, 0, v.length, v);
                String module = name.substring(0, name.lastIndexOf('.'));
                if (saved.containsKey(name)) {
                    System.arraycopy(saved.get(name), 0, v, 0, v.length);
                } else if (name.endsWith(".weight") && loras.containsKey(module)) {
                    double[] d = delta(loras.get(module));
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (v[i] + d[i]);
                    }
                }
                w.write(name, 0, v, v.length);
            }
            w.carryFilesFrom(base.directory());
            return w.commit();
        }
    }
}
