package io.fedmerge.core.generate;

import io.fedmerge.core.FedmergeException;
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
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Writes K synthetic PEFT LoRA adapters for an existing base (OUT/adapter-1..K): rank-r factors on every weight
 * whose module name ends in one of the targets. As with the dense fine-tunes, each adapter mixes a component all
 * hospitals share (with a per-hospital factor, negative for some) and a private one, so merges have agreement and
 * conflict to work on; ΔW elements come out around 10⁻³, the size of the dense variants' deltas.
 */
public final class AdapterGenerator {
    public static final List<String> MISTRAL_TARGETS =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
    private static final float[] SHARED_FACTOR = {1.0f, 0.7f, -0.5f, 0.9f, -0.3f, 0.6f, 0.8f, -0.7f};

    public record Options(int rank, double alpha, List<String> targets, int variants, long seed, DType dtype) {}

    public List<Path> generate(Path basePath, Path outDir, Options o) {
        if (o.rank() < 1) {
            throw new FedmergeException("adapter rank must be at least 1, found " + o.rank());
        }
        List<Path> written = new ArrayList<>();
        try (Checkpoint base = Checkpoint.open(basePath)) {
            Map<String, TensorInfo> targets = targets(base, o.targets());
            if (targets.isEmpty()) {
                throw new FedmergeException("the base " + basePath + " has no 2-D weight of a module named "
                        + o.targets());
            }
            TreeSet<String> suffixes = new TreeSet<>();
            targets.keySet().forEach(m -> suffixes.add(m.substring(m.lastIndexOf('.') + 1)));
            String config = AdapterConfig.plainLora(o.rank(), o.alpha(), List.copyOf(suffixes), basePath.toString());
            for (int v = 1; v <= o.variants(); v++) {
                written.add(writeOne(outDir.resolve("adapter-" + v), targets, o, v, config));
            }
        }
        return written;
    }

    private static Map<String, TensorInfo> targets(Checkpoint base, List<String> suffixes) {
        Map<String, TensorInfo> out = new LinkedHashMap<>();
        for (String name : base.tensorNames()) {
            TensorInfo t = base.info(name);
            if (!name.endsWith(".weight") || t.rank() != 2) {
                continue;
            }
            String module = name.substring(0, name.length() - ".weight".length());
            if (suffixes.contains(module.substring(module.lastIndexOf('.') + 1))) {
                out.put(module, t);
            }
        }
        return out;
    }

    private static Path writeOne(Path dir, Map<String, TensorInfo> targets, Options o, int variant, String config) {
        List<TensorSpec> specs = new ArrayList<>();
        targets.forEach((module, w) -> {
            specs.add(new TensorSpec(LoraAdapter.factorKey(module, true), o.dtype(), new long[] {o.rank(), w.dim(1)}));
            specs.add(new TensorSpec(LoraAdapter.factorKey(module, false), o.dtype(), new long[] {w.dim(0), o.rank()}));
        });
        CheckpointWriter writer = CheckpointWriter.singleFile(dir, specs, Map.of("format", "pt"),
                LoraAdapter.WEIGHTS_FILE);
        try {
            float shared = SHARED_FACTOR[(variant - 1) % SHARED_FACTOR.length];
            for (TensorSpec spec : specs) {
                long seed = o.seed() * 0x9E3779B97F4A7C15L + spec.name().hashCode();
                long own = seed + 0x632BE59BD9B4E019L * variant;
                boolean isA = spec.name().contains(".lora_A.");
                float[] values = new float[(int) spec.elementCount()];
                for (int i = 0; i < values.length; i++) {
                    float common = CheckpointGenerator.noise(seed, i);
                    float mine = CheckpointGenerator.noise(own, i);
                    values[i] = 0.05f * (isA ? common + 0.5f * mine : shared * common + mine);
                }
                writer.write(spec.name(), 0, values, values.length);
            }
            writer.addFile(AdapterConfig.FILE, config);
            return writer.commit();
        } catch (RuntimeException e) {
            writer.abort();
            throw e;
        }
    }
}
