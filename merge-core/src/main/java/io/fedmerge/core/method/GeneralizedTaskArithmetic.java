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
        if (sparsifier == Sparsifier.RANDOM || sparsifier == Sparsifier.DELLA_MAGPRUNE) {
            p.add(ParameterSpec.RANDOM_SEED);
        }
        if (sparsifier == Sparsifier.DELLA_MAGPRUNE) {
            p.add(ParameterSpec.EPSILON);
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

    /** DELLA's window must stay inside (0, 1): 0 < d − ε and d + ε < 1 whenever d < 1 (MERGE_METHODS §2.7). */
    @Override
    public void validate(TensorContext context) {
        if (sparsifier != Sparsifier.DELLA_MAGPRUNE) {
            return;
        }
        double[] d = context.params().perModel("density");
        double[] e = context.params().perModel("epsilon");
        for (int i = 0; i < d.length; i++) {
            if (d[i] < 1 && !(d[i] - e[i] > 0 && d[i] + e[i] < 1)) {
                throw new io.fedmerge.core.config.ConfigException(name + ": model " + context.contributorIds().get(i)
                        + " has density " + d[i] + " and epsilon " + e[i] + " (tensor " + context.tensorName()
                        + "); keep probabilities d ± epsilon must lie strictly inside (0, 1): lower epsilon");
            }
        }
    }

    /** task_arithmetic: θ₀ + λ·Σwᵢ·Δᵢ (divided by Σw with normalize, as the merge divides); others sparsify. */
    @Override
    public double[] linearCoefficients(TensorContext context) {
        if (sparsifier != Sparsifier.NONE || consensus) {
            return null;
        }
        double[] w = context.params().perModel("weight");
        double sum = 0;
        for (double x : w) {
            sum += (float) x;
        }
        double divisor = context.params().flag("normalize") && Math.abs(sum) >= 1e-8 ? sum : 1;
        double lambda = context.params().number("lambda");
        double[] c = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            c[i] = lambda * w[i] / divisor;
        }
        return c;
    }

    @Override
    public TensorMerge forTensor(TensorContext context) {
        return new GtaTensorMerge(this, context);
    }
}
