package io.fedmerge.core.method;

import io.fedmerge.core.config.ConfigException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Every merge method, under mergekit's names, with mergekit's defaults (MERGE_METHODS §3.5). */
public final class MethodRegistry {
    private final Map<String, MergeMethod> methods = new LinkedHashMap<>();

    public MethodRegistry() {
        register(new LinearMerge());
        register(new SlerpMerge());
        register(new HierarchicalMerge());
        register(new ModelStockMerge());
        register(new NuSlerpMerge());
        register(new MultiSlerpMerge());
        register(new KarcherMerge());
        register(new SceMerge());
        register(new NearSwapMerge());
        register(new PassthroughMerge());
        register(new ArceeFusionMerge());
        register(RamMerge.ram());
        register(RamMerge.ramPlusTensorLocal());
        register(new GeneralizedTaskArithmetic("task_arithmetic", Sparsifier.NONE, false, false, false));
        register(new GeneralizedTaskArithmetic("ties", Sparsifier.MAGNITUDE, true, true, false));
        register(new GeneralizedTaskArithmetic("dare_ties", Sparsifier.RANDOM, true, false, true));
        register(new GeneralizedTaskArithmetic("dare_linear", Sparsifier.RANDOM, false, false, true));
        register(new GeneralizedTaskArithmetic("breadcrumbs", Sparsifier.MAGNITUDE_OUTLIERS, false, false, false));
        register(new GeneralizedTaskArithmetic("breadcrumbs_ties", Sparsifier.MAGNITUDE_OUTLIERS, true, false, false));
        register(new GeneralizedTaskArithmetic("della", Sparsifier.DELLA_MAGPRUNE, true, true, true));
        register(new GeneralizedTaskArithmetic("della_linear", Sparsifier.DELLA_MAGPRUNE, false, false, true));
    }

    private void register(MergeMethod m) {
        methods.put(m.name(), m);
    }

    public MergeMethod get(String name) {
        MergeMethod m = methods.get(name);
        if (m == null) {
            throw new ConfigException("unknown merge_method '" + name + "'; available: "
                    + String.join(", ", methods.keySet()));
        }
        return m;
    }

    public List<String> names() {
        return List.copyOf(methods.keySet());
    }

    /** Every parameter name some method declares: a name outside it is a typo, not another method's setting. */
    public Set<String> parameterNames() {
        Set<String> names = new TreeSet<>();
        methods.values().forEach(m -> m.parameters().forEach(spec -> names.add(spec.name())));
        return names;
    }
}
