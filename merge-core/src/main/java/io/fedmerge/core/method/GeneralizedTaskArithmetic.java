package io.fedmerge.core.method;

import java.util.ArrayList;
import java.util.List;

/**
 * mergekit's generalized task arithmetic (MERGE_METHODS §3.4): sparsify each delta, optionally rescale it, weight it,
 * optionally keep only the entries agreeing with the elected sign, sum, optionally normalise, scale by lambda, add to
 * the base. task_arithmetic, ties, dare_*, and breadcrumbs* are configured instances of this one class.
 */
public final class GeneralizedTaskArithmetic implements MergeMethod {
    private final String name;
    private final Sparsifier sparsifier;
    private final boolean consensus;
    private final List<ParameterSpec> parameters;

    public GeneralizedTaskArithmetic(String name, Sparsifier sparsifier, boolean consensus, boolean normalizeDefault,
            boolean rescaleDefault) {
        this.name = name;
        this.sparsifier = sparsifier;
        this.consensus = consensus;
        List<ParameterSpec> p = new ArrayList<>(List.of(ParameterSpec.WEIGHT, ParameterSpec.DENSITY,
                ParameterSpec.LAMBDA, ParameterSpec.flag("normalize", normalizeDefault),
                ParameterSpec.flag("rescale", rescaleDefault), ParameterSpec.RESCALE_MODE, ParameterSpec.INT8_MASK));
        if (sparsifier == Sparsifier.MAGNITUDE_OUTLIERS) {
            p.add(ParameterSpec.GAMMA);
        }
        if (sparsifier == Sparsifier.RANDOM) {
            p.add(ParameterSpec.RANDOM_SEED);
        }
        this.parameters = List.copyOf(p);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<ParameterSpec> parameters() {
        return parameters;
    }

    Sparsifier sparsifier() {
        return sparsifier;
    }

    boolean consensus() {
        return consensus;
    }

    @Override
    public TensorMerge forTensor(TensorContext context) {
        return new GtaTensorMerge(this, context);
    }
}
