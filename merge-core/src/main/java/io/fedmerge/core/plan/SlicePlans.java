package io.fedmerge.core.plan;

import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.config.ConfigException;
import io.fedmerge.core.config.MergeConfig;
import io.fedmerge.core.config.ModelReference;
import io.fedmerge.core.config.ModelEntry;
import io.fedmerge.core.config.OutputSlice;
import io.fedmerge.core.config.ParameterValue;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.TaskVectorFormat;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Plans mergekit's {@code slices:} form as mergekit does: output slice s holds layers o_s … o_s + n_s − 1, layer
 * o_s + i merged from layer start + i of each of its sources (with gradients running t = 0 → 1 across the slice);
 * the tensors before the stack (embeddings) come from the first slice's sources and those after it (final norm,
 * LM head) from the last slice's, and config.json's {@code num_hidden_layers} becomes Σ n_s. Each slice (and the
 * parts before and after the stack) is an ordinary {@code models:} plan over renamed views of the sources, so every
 * method, check and kernel is the one whole-model merges use.
 */
public final class SlicePlans implements AutoCloseable {
    private static final Pattern LAYER = Pattern.compile("(^|\\.)layers\\.(\\d+)\\.");

    private final List<MergePlan> parts;
    private final String configJson;

    private SlicePlans(List<MergePlan> parts, String configJson) {
        this.parts = List.copyOf(parts);
        this.configJson = configJson;
    }

    public List<MergePlan> parts() {
        return parts;
    }

    /** The output's config.json: the first slice's layout model's, with the output's layer count. */
    public String configJson() {
        return configJson;
    }

    public static SlicePlans plan(MergePlanner planner, MergeConfig config) {
        List<OutputSlice> slices = config.slices();
        List<MergePlan> parts = new ArrayList<>();
        try {
            for (int s = 0; s < slices.size(); s++) {
                checkSources(config, slices.get(s), s);
            }
            MergePlan pre = part(planner, config, slices.getFirst(), 0, new LayerPositions(1),
                    (source, name) -> !LAYER.matcher(name).find() && name.contains("embed") ? name : null);
            if (pre != null) {
                parts.add(pre);
            }
            int offset = 0;
            for (int s = 0; s < slices.size(); s++) {
                OutputSlice slice = slices.get(s);
                int first = offset;
                MergePlan layers = part(planner, config, slice, s, new LayerPositions(slice.layers(), first),
                        (source, name) -> renamedLayer(name, source.start(), source.end(), first));
                if (layers == null) {
                    throw new ConfigException("slices[" + s + "]: " + slice.sources().getFirst().model()
                            + " has no tensors named model.layers.N.* to take layers from");
                }
                parts.add(layers);
                offset += slice.layers();
            }
            MergePlan post = part(planner, config, slices.getLast(), slices.size() - 1, new LayerPositions(1),
                    (source, name) -> !LAYER.matcher(name).find() && !name.contains("embed") ? name : null);
            if (post != null) {
                parts.add(post);
            }
            return new SlicePlans(parts, outputConfig(parts.getFirst(), offset));
        } catch (RuntimeException e) {
            parts.forEach(MergePlan::close);
            throw e;
        }
    }

    /** Which stored tensor of a source becomes which output tensor (null: not in this part). */
    private interface Naming {
        String outputName(OutputSlice.Source source, String stored);
    }

    /** The plan of one part over renamed views of the slice's sources, or null if the part has no tensor. */
    private static MergePlan part(MergePlanner planner, MergeConfig config, OutputSlice slice, int index,
            LayerPositions positions, Naming naming) {
        Map<Path, OutputSlice.Source> byPath = new HashMap<>();
        List<ModelEntry> entries = new ArrayList<>();
        String sliceBase = slice.baseModel() != null ? slice.baseModel() : config.baseModel();
        String base = null;
        for (OutputSlice.Source source : slice.sources()) {
            Path path = key(config, source.model());
            if (byPath.put(path, source) != null) {
                throw new ConfigException("slices[" + index + "] takes model " + source.model() + " twice; a slice"
                        + " merges different models (to repeat a model's layers, give each range its own slice)");
            }
            entries.add(new ModelEntry(source.model(), source.parameters()));
            if (sliceBase != null && path.equals(key(config, sliceBase))) {
                base = source.model();
            }
        }
        Map<String, ParameterValue> params = new LinkedHashMap<>(config.parameters());
        params.putAll(slice.parameters());
        MergePlan plan = planner.plan(config.withModels(base, entries, params), path -> {
            OutputSlice.Source source = byPath.get(path.toAbsolutePath().normalize());
            Checkpoint whole = Checkpoint.open(path);
            try {
                return whole.renamed(source == null ? Map.of() : names(whole, source, naming));
            } catch (RuntimeException e) {
                whole.close();
                throw e;
            }
        }, positions);
        if (plan.outputs().isEmpty()) {
            plan.close();
            return null;
        }
        if (slice.residualWeight() != null) {
            return plan.withWarning("slices[" + index + "]: residual_weight " + slice.residualWeight()
                    + " is ignored (mergekit reads it but never applies it either)");
        }
        return plan;
    }

    /** Output name → stored name, by output layer and then as stored (so tensors follow the stack). */
    private static Map<String, String> names(Checkpoint c, OutputSlice.Source source, Naming naming) {
        List<Map.Entry<String, String>> found = new ArrayList<>();
        for (String stored : c.tensorNames()) {
            String out = naming.outputName(source, stored);
            if (out != null) {
                found.add(Map.entry(out, stored));
            }
        }
        found.sort(java.util.Comparator.comparingInt(e -> layerOf(e.getKey())));
        Map<String, String> out = new LinkedHashMap<>();
        found.forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    private static int layerOf(String name) {
        Matcher m = LAYER.matcher(name);
        return m.find() ? Integer.parseInt(m.group(2)) : -1;
    }

    /** Layer start + i of a source, named as output layer first + i; null outside [start, end). */
    private static String renamedLayer(String stored, int start, int end, int first) {
        Matcher m = LAYER.matcher(stored);
        if (!m.find()) {
            return null;
        }
        int layer = Integer.parseInt(m.group(2));
        if (layer < start || layer >= end) {
            return null;
        }
        return stored.substring(0, m.start(2)) + (first + layer - start) + stored.substring(m.end(2));
    }

    /** Sources are full checkpoints with the layers their ranges name. */
    private static void checkSources(MergeConfig config, OutputSlice slice, int index) {
        for (int j = 0; j < slice.sources().size(); j++) {
            OutputSlice.Source source = slice.sources().get(j);
            String where = "slices[" + index + "].sources[" + j + "]";
            ModelReference ref = ModelReference.resolve(config, source.model());
            if (ref.adapter() != null || LoraAdapter.isAdapterDirectory(ref.model())) {
                throw new ConfigException(where + ": " + source.model() + " is a LoRA adapter; slices take full"
                        + " checkpoints (merge the adapter into its base first, or use the models: form)");
            }
            try (Checkpoint c = Checkpoint.open(config.resolve(source.model()))) {
                if (TaskVectorFormat.isTaskVector(c)) {
                    throw new ConfigException(where + ": " + source.model() + " is a task vector; slices take full"
                            + " checkpoints");
                }
                int layers = LayerPositions.of(c.tensorNames(), ModelFacts.of(c).layers()).layers();
                if (source.end() > layers) {
                    throw new ConfigException(where + ".layer_range [" + source.start() + ", " + source.end()
                            + "] goes past the " + layers + " layers of " + source.model()
                            + " (layer_range ends are exclusive)");
                }
            }
        }
    }

    private static Path key(MergeConfig config, String model) {
        return config.resolve(model).toAbsolutePath().normalize();
    }

    private static String outputConfig(MergePlan layout, int layers) {
        String json = layout.base().configJson();
        return json == null ? null : OutputConfigJson.withLayers(json,
                layout.base().directory().resolve(Checkpoint.CONFIG_FILE), layers);
    }

    @Override
    public void close() {
        parts.forEach(MergePlan::close);
    }
}
