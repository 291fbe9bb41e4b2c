package io.fedmerge.core.plan;

import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.config.ConfigException;
import io.fedmerge.core.config.MergeConfig;
import io.fedmerge.core.config.ModelEntry;
import io.fedmerge.core.config.ModelReference;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointDigest;
import io.fedmerge.core.io.TaskVectorFormat;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.io.TensorSpec;
import io.fedmerge.core.method.MergeMethod;
import io.fedmerge.core.method.MethodRegistry;
import io.fedmerge.core.method.TensorContext;
import io.fedmerge.core.method.TensorParameters;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Turns a config into a {@link MergePlan}: opens every model, checks tensor names, shapes and base digests, and
 * resolves and validates the parameters of every tensor. Nothing is written and no tensor value is read (except the
 * base digest when task vectors are involved), so every configuration error surfaces in seconds.
 */
public final class MergePlanner {
    private final MethodRegistry registry;

    public MergePlanner(MethodRegistry registry) {
        this.registry = registry;
    }

    /** Plans a {@code models:} config; a {@code slices:} config goes through {@link SlicePlans}. */
    public MergePlan plan(MergeConfig config) {
        if (!config.slices().isEmpty()) {
            throw new ConfigException("a slices: config is planned part by part (SlicePlans), not as one plan");
        }
        return plan(config, Checkpoint::open, null);
    }

    /**
     * @param opener opens a model (a layer-range merge opens renamed views)
     * @param positions where each tensor sits for gradients, or null to take it from the base
     */
    MergePlan plan(MergeConfig config, Function<Path, Checkpoint> opener, LayerPositions positions) {
        boolean baseless = config.baseModel() == null;
        MergeMethod method = baseless ? registry.get(config.mergeMethod()).withoutBase()
                : registry.get(config.mergeMethod());
        Path basePath = baseless ? layoutOfBaselessMerge(config) : config.resolve(config.baseModel());
        Checkpoint base = opener.apply(basePath);
        List<DeltaSource> contributors = new ArrayList<>();
        try {
            if (TaskVectorFormat.isTaskVector(base)) {
                throw new ConfigException((baseless ? "models[0] " : "base_model ") + basePath
                        + " is a task vector, not a model checkpoint" + (baseless ? ": a task vector needs base_model"
                        : ""));
            }
            List<String> warnings = new ArrayList<>();
            List<ModelEntry> entries = new ArrayList<>();
            BaseDigest digest = new BaseDigest(base);
            for (ModelEntry entry : config.models()) {
                // without a base the first model is the reference everything else is a delta from, and takes part
                DeltaSource source = baseless && entries.isEmpty() ? new ZeroDelta(entry.model())
                        : open(entry, config, basePath, base, method, digest, warnings, opener);
                if (source != null) {
                    contributors.add(source);
                    entries.add(entry);
                }
            }
            if (contributors.isEmpty()) {
                throw new ConfigException("models lists nothing to merge besides the base model");
            }
            checkDistinctIds(contributors);
            ParameterResolver resolver = new ParameterResolver(method, entries, config.parameters(),
                    registry.parameterNames());
            warnings.addAll(resolver.warnings());
            ModelFacts facts = ModelFacts.of(base);
            LayerPositions layers = positions != null ? positions
                    : LayerPositions.of(base.tensorNames(), facts.layers());
            long seed = validateEveryTensor(method, base, resolver, layers, facts, contributors, warnings);
            List<TensorSpec> outputs = new ArrayList<>();
            for (String name : base.tensorNames()) {
                TensorInfo t = base.info(name);
                outputs.add(new TensorSpec(name, config.outputDtype(t.dtype()), t.shape()));
            }
            return new MergePlan(config, method, base, contributors, resolver, layers, facts.attention(), outputs,
                    seed, warnings);
        } catch (RuntimeException e) {
            base.close();
            contributors.forEach(DeltaSource::close);
            throw e;
        }
    }

    /** The first model, which must be a full checkpoint: an adapter or a task vector means nothing without a base. */
    private static Path layoutOfBaselessMerge(MergeConfig config) {
        for (int i = 0; i < config.models().size(); i++) {
            ModelReference ref = ModelReference.resolve(config, config.models().get(i).model());
            if (ref.adapter() != null || LoraAdapter.isAdapterDirectory(ref.model())) {
                throw new ConfigException("models[" + i + "] " + config.models().get(i).model() + " is a LoRA"
                        + " adapter: without base_model there is no model to apply it to; add base_model");
            }
        }
        return config.resolve(config.models().getFirst().model());
    }

    private DeltaSource open(ModelEntry entry, MergeConfig config, Path basePath, Checkpoint base,
            MergeMethod method, BaseDigest digest, List<String> warnings, Function<Path, Checkpoint> opener) {
        ModelReference ref = ModelReference.resolve(config, entry.model());
        if (ref.adapter() != null) {
            DeltaSource under = sameFile(ref.model(), basePath) ? null
                    : openModel(entry, ref.model(), basePath, base, digest, warnings, opener);
            return bindAdapter(entry.model(), ref.adapter(), base, under, warnings);
        }
        Path path = ref.model();
        if (sameFile(path, basePath)) {
            if (method.baseEntryTakesPart()) {
                return new ZeroDelta(entry.model());
            }
            warnings.add("models lists the base model " + entry.model() + "; " + method.name()
                    + " merges deltas from the base, so that entry adds nothing and is skipped");
            return null;
        }
        if (LoraAdapter.isAdapterDirectory(path)) {
            return bindAdapter(entry.model(), path, base, null, warnings);
        }
        return openModel(entry, path, basePath, base, digest, warnings, opener);
    }

    private static boolean sameFile(Path a, Path b) {
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    private static DeltaSource bindAdapter(String id, Path dir, Checkpoint base, DeltaSource under,
            List<String> warnings) {
        LoraAdapter adapter = null;
        try {
            adapter = LoraAdapter.open(dir);
            return AdapterDelta.bind(id, adapter, base, under, warnings);
        } catch (RuntimeException e) {
            if (adapter != null) {
                adapter.close();
            }
            if (under != null) {
                under.close();
            }
            throw e;
        }
    }

    private static DeltaSource openModel(ModelEntry entry, Path path, Path basePath, Checkpoint base,
            BaseDigest digest, List<String> warnings, Function<Path, Checkpoint> opener) {
        Checkpoint model = opener.apply(path);
        try {
            if (TaskVectorFormat.isTaskVector(model)) {
                String declared = model.metadata().get(TaskVectorFormat.BASE_DIGEST);
                String actual = digest.get();
                if (!actual.equals(declared)) {
                    throw new IncompatibleModelException("task vector " + path + " was made against base digest "
                            + declared + " but base_model " + basePath + " has digest " + actual
                            + "; rebuild the task vector against this base (fedmerge task-vector)");
                }
                warnings.addAll(TensorSetCheck.check(base, model, "task vector " + entry.model(), false));
                return new StoredDelta(entry.model(), model);
            }
            warnings.addAll(TensorSetCheck.check(base, model, "model " + entry.model(), true));
            return new CheckpointDelta(entry.model(), model);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private static void checkDistinctIds(List<DeltaSource> contributors) {
        Set<String> seen = new HashSet<>();
        for (DeltaSource c : contributors) {
            if (!seen.add(c.id())) {
                throw new ConfigException("model " + c.id() + " is listed twice in models");
            }
        }
    }

    private static long validateEveryTensor(MergeMethod method, Checkpoint base, ParameterResolver resolver,
            LayerPositions layers, ModelFacts facts, List<DeltaSource> contributors, List<String> warnings) {
        List<String> ids = contributors.stream().map(DeltaSource::id).toList();
        long seed = 0;
        for (String name : base.tensorNames()) {
            TensorParameters params = resolver.resolve(name, layers.t(name));
            seed = params.seed(seed);
            method.validate(new TensorContext(name, base.info(name).shape(), ids, params, seed, warnings::add,
                    facts.attention(), r -> {}));
        }
        return seed;
    }

    /** The base digest costs a full read of the base, so it is computed only when a task vector asks for it. */
    private static final class BaseDigest {
        private final Checkpoint base;
        private String value;

        BaseDigest(Checkpoint base) {
            this.base = base;
        }

        String get() {
            if (value == null) {
                value = CheckpointDigest.of(base);
            }
            return value;
        }
    }
}
