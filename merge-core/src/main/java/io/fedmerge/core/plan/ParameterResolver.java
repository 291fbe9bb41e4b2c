package io.fedmerge.core.plan;

import io.fedmerge.core.config.ConfigException;
import io.fedmerge.core.config.ModelEntry;
import io.fedmerge.core.config.ParameterValue;
import io.fedmerge.core.method.MergeMethod;
import io.fedmerge.core.method.ParameterSpec;
import io.fedmerge.core.method.TensorParameters;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Resolves a method's parameters for each tensor: per-model value, then top-level value, then the method default
 * (MERGE_METHODS §2.6). Construction checks every key and every value that can ever be used against the method's
 * declared parameters and ranges, so a typo fails before any tensor is read. A name another method declares (mergekit's
 * own configs pass {@code weight} to every method) is ignored with a warning instead: mergekit ignores it silently.
 */
public final class ParameterResolver {
    private final MergeMethod method;
    private final List<ModelEntry> models;
    private final Map<String, ParameterValue> global;
    private final Set<String> otherMethodsParameters;
    private final Set<String> warnings = new LinkedHashSet<>();

    /** Refuses every parameter {@code method} does not declare. */
    public ParameterResolver(MergeMethod method, List<ModelEntry> models, Map<String, ParameterValue> global) {
        this(method, models, global, Set.of());
    }

    /**
     * @param otherMethodsParameters names declared by some method: one of them that {@code method} does not use is
     *     ignored with a warning rather than refused
     */
    public ParameterResolver(MergeMethod method, List<ModelEntry> models, Map<String, ParameterValue> global,
            Set<String> otherMethodsParameters) {
        this.method = method;
        this.models = List.copyOf(models);
        this.global = Map.copyOf(global);
        this.otherMethodsParameters = Set.copyOf(otherMethodsParameters);
        Map<String, ParameterSpec> specs = method.parameters().stream()
                .collect(Collectors.toMap(ParameterSpec::name, s -> s));
        global.forEach((key, value) -> check(specs, key, value, "parameters", true));
        for (ModelEntry m : models) {
            m.parameters().forEach((key, value) -> check(specs, key, value, "parameters of model " + m.model(), false));
        }
    }

    private void check(Map<String, ParameterSpec> specs, String key, ParameterValue value, String where,
            boolean topLevel) {
        ParameterSpec spec = specs.get(key);
        if (spec == null && otherMethodsParameters.contains(key)) {
            warnings.add("parameter '" + key + "' in " + where + " is not used by merge_method " + method.name()
                    + "; ignored");
            return;
        }
        if (spec == null) {
            throw new ConfigException("unknown parameter '" + key + "' in " + where + " for merge_method "
                    + method.name() + "; it accepts: " + String.join(", ", specs.keySet().stream().sorted().toList()));
        }
        if (!topLevel && spec.scope() == ParameterSpec.Scope.GLOBAL) {
            throw new ConfigException("parameter '" + key + "' of " + method.name()
                    + " applies to the whole merge: move it from " + where + " to the top-level parameters");
        }
        checkValue(spec, value, where);
    }

    private static void checkValue(ParameterSpec spec, ParameterValue value, String where) {
        switch (value) {
            case ParameterValue.Scalar s -> checkScalar(spec, s.value(), where);
            case ParameterValue.Gradient g -> {
                if (spec.kind() != ParameterSpec.Kind.NUMBER) {
                    throw outOfRange(spec, g.points(), where);
                }
                g.points().forEach(p -> checkScalar(spec, p, where));
            }
            case ParameterValue.Conditional c -> c.conditions().forEach(cond -> checkValue(spec, cond.value(), where));
        }
    }

    private static void checkScalar(ParameterSpec spec, Object v, String where) {
        boolean ok = switch (spec.kind()) {
            case NUMBER -> v instanceof Double d && spec.range().test(d);
            case BOOLEAN -> v instanceof Boolean;
            case CHOICE -> v instanceof String s && spec.choices().contains(s);
        };
        if (!ok) {
            throw outOfRange(spec, v, where);
        }
    }

    private static ConfigException outOfRange(ParameterSpec spec, Object v, String where) {
        return new ConfigException("parameter '" + spec.name() + "' in " + where + " is " + v + "; expected "
                + spec.rangeText());
    }

    /** What was accepted but will have no effect, one line each. */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** The parameters for one tensor at layer position {@code t}. */
    public TensorParameters resolve(String tensorName, double t) {
        Map<String, double[]> perModel = new HashMap<>();
        Map<String, Object> globals = new HashMap<>();
        for (ParameterSpec spec : method.parameters()) {
            if (spec.scope() == ParameterSpec.Scope.PER_MODEL) {
                double[] values = new double[models.size()];
                for (int i = 0; i < models.size(); i++) {
                    values[i] = ((Number) lookup(spec, models.get(i), tensorName, t)).doubleValue();
                }
                perModel.put(spec.name(), values);
            } else {
                globals.put(spec.name(), lookup(spec, null, tensorName, t));
            }
        }
        return new TensorParameters(perModel, globals);
    }

    private Object lookup(ParameterSpec spec, ModelEntry model, String tensorName, double t) {
        if (model != null && model.parameters().containsKey(spec.name())) {
            Object v = model.parameters().get(spec.name()).evaluate(tensorName, t);
            if (v != null) {
                return v;
            }
        }
        if (global.containsKey(spec.name())) {
            Object v = global.get(spec.name()).evaluate(tensorName, t);
            if (v != null) {
                return v;
            }
        }
        if (spec.defaultValue() != null) {
            return spec.defaultValue();
        }
        throw new ConfigException("parameter '" + spec.name() + "' of " + method.name() + " is required but not set"
                + (model == null ? "" : " for model " + model.model()) + " (tensor " + tensorName + "); set it in"
                + (model == null ? " the top-level parameters" : " the model's or the top-level parameters"));
    }
}
