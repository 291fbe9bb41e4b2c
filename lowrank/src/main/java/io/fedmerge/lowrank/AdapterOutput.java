package io.fedmerge.lowrank;

import io.fedmerge.core.adapter.AdapterConfig;
import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.io.TensorSpec;
import io.fedmerge.core.tensor.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes a PEFT LoRA adapter directory that loads with PEFT's defaults: one rank r for every module (a module
 * factorised at a lower rank is padded with zero columns of B and rows of A, which changes nothing), lora_alpha = r
 * so the scale is 1, and the factors in PEFT's orientation (B [out, r], A [r, in]; embeddings as
 * lora_embedding_B [dim, r], lora_embedding_A [r, vocab]). Whole tensors (modules_to_save) are streamed in last.
 */
final class AdapterOutput {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int SLICE = 1 << 20;

    /** One module's ΔW = B·A (scale included). */
    record Module(String module, boolean embedding, LowRankFactors factors) {}

    /** A tensor saved whole; {@code values} fills elements [first, first + count). */
    record Saved(String tensor, long[] shape, DType dtype, Values values) {}

    interface Values {
        void read(long first, int count, float[] dst);
    }

    private AdapterOutput() {}

    /** @return the bytes of adapter_model.safetensors' tensors */
    static long write(Path out, Checkpoint base, List<Module> modules, List<Saved> saved, boolean fanInFanOut,
            DType factorDtype, String producer) {
        int rank = modules.stream().mapToInt(m -> m.factors().rank()).max().orElse(1);
        List<TensorSpec> specs = new ArrayList<>();
        for (Module m : modules) {
            specs.add(new TensorSpec(key(m, true), factorDtype, new long[] {rank, m.factors().cols()}));
            specs.add(new TensorSpec(key(m, false), factorDtype, new long[] {m.factors().rows(), rank}));
        }
        for (Saved s : saved) {
            specs.add(new TensorSpec("base_model.model." + s.tensor(), s.dtype(), s.shape()));
        }
        CheckpointWriter writer = CheckpointWriter.singleFile(out, specs, Map.of("format", "pt",
                "fedmerge.producer", producer), LoraAdapter.WEIGHTS_FILE);
        try {
            for (Module m : modules) {
                writer.write(key(m, true), 0, padded(m.factors().a().data, m.factors().rank(), m.factors().cols(),
                        rank, false), rank * m.factors().cols());
                writer.write(key(m, false), 0, padded(m.factors().b().data, m.factors().rows(), m.factors().rank(),
                        rank, true), m.factors().rows() * rank);
            }
            float[] buffer = new float[SLICE];
            for (Saved s : saved) {
                long n = TensorInfo.elementCount(s.shape());
                for (long first = 0; first < n; first += SLICE) {
                    int len = (int) Math.min(SLICE, n - first);
                    s.values().read(first, len, buffer);
                    writer.write("base_model.model." + s.tensor(), first, buffer, len);
                }
            }
            writer.addFile(AdapterConfig.FILE, config(base, modules, saved, rank, fanInFanOut));
            writer.commit();
            return writer.totalBytes();
        } catch (RuntimeException e) {
            writer.abort();
            throw e;
        }
    }

    private static String key(Module m, boolean a) {
        if (m.embedding()) {
            return "base_model.model." + m.module() + (a ? ".lora_embedding_A" : ".lora_embedding_B");
        }
        return LoraAdapter.factorKey(m.module(), a);
    }

    /**
     * Row-major float copy of a [rows, cols] matrix widened to {@code rank} columns (B: padColumns) or rows (A).
     */
    private static float[] padded(double[] data, int rows, int cols, int rank, boolean padColumns) {
        int outCols = padColumns ? rank : cols;
        float[] out = new float[(padColumns ? rows : rank) * outCols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[i * outCols + j] = (float) data[i * cols + j];
            }
        }
        return out;
    }

    private static String config(Checkpoint base, List<Module> modules, List<Saved> saved, int rank,
            boolean fanInFanOut) {
        ObjectNode o = JSON.createObjectNode();
        o.put("peft_type", "LORA");
        o.put("task_type", "CAUSAL_LM");
        o.put("base_model_name_or_path", base.directory().getFileName().toString());
        o.put("r", rank);
        o.put("lora_alpha", rank);
        o.put("lora_dropout", 0.0);
        o.put("use_rslora", false);
        o.put("use_dora", false);
        o.put("fan_in_fan_out", fanInFanOut);
        o.put("bias", "none");
        targets(base, modules).forEach(o.putArray("target_modules")::add);
        o.putObject("rank_pattern");
        o.putObject("alpha_pattern");
        Set<String> save = new LinkedHashSet<>();
        saved.forEach(s -> save.add(s.tensor().substring(0, s.tensor().lastIndexOf('.'))));
        if (save.isEmpty()) {
            o.putNull("modules_to_save");
        } else {
            save.forEach(o.putArray("modules_to_save")::add);
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
    }

    /**
     * Module suffixes (q_proj...) when the adapter covers every base module with those suffixes, as PEFT users
     * write them; otherwise the full module names, so that PEFT adds no LoRA layer the file has no weights for.
     */
    private static List<String> targets(Checkpoint base, List<Module> modules) {
        Map<String, Integer> adapted = new LinkedHashMap<>();
        Set<String> names = new LinkedHashSet<>();
        for (Module m : modules) {
            names.add(m.module());
            adapted.merge(suffix(m.module()), 1, Integer::sum);
        }
        for (String t : base.tensorNames()) {
            if (t.endsWith(".weight") && base.info(t).rank() == 2) {
                String module = t.substring(0, t.length() - ".weight".length());
                if (adapted.containsKey(suffix(module)) && !names.contains(module)) {
                    return List.copyOf(names);
                }
            }
        }
        return List.copyOf(adapted.keySet());
    }

    private static String suffix(String module) {
        return module.substring(module.lastIndexOf('.') + 1);
    }
}
