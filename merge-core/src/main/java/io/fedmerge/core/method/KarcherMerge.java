package io.fedmerge.core.method;

import io.fedmerge.core.config.ConfigException;
import java.util.List;

/**
 * mergekit's {@code karcher}: the Riemannian (Karcher) mean of the models' unit directions with equal weights,
 * found by fixed-point iteration, scaled by the mean norm. Operates on the full weights; with a {@code base_model}
 * the base is one of the averaged models, after the others, as mergekit averages every model its config names
 * (checked against mergekit-yaml: docs/MERGING.md). The iteration stays in the span of the inputs, so it runs on
 * their Gram matrix.
 */
public final class KarcherMerge extends SpanMerge {
    private static final List<ParameterSpec> PARAMETERS = List.of(
            ParameterSpec.number("max_iter", ParameterSpec.Scope.GLOBAL, 10.0, v -> v >= 1 && v == Math.rint(v),
                    "a positive integer"),
            ParameterSpec.number("tol", ParameterSpec.Scope.GLOBAL, 1e-5, v -> v > 0 && v < 1, "0 < tol < 1"));

    private final boolean baseTakesPart;

    public KarcherMerge() {
        this(true);
    }

    private KarcherMerge(boolean baseTakesPart) {
        this.baseTakesPart = baseTakesPart;
    }

    @Override
    public String name() {
        return "karcher";
    }

    @Override
    public List<ParameterSpec> parameters() {
        return PARAMETERS;
    }

    /** mergekit runs it without a base too: the weights are the models' own. */
    @Override
    public MergeMethod withoutBase() {
        return new KarcherMerge(false);
    }

    @Override
    boolean baseTakesPart() {
        return baseTakesPart;
    }

    @Override
    public void validate(TensorContext context) {
        if (context.contributors() < 1) {
            throw new ConfigException("karcher needs at least one model");
        }
    }

    @Override
    boolean onDeltas(TensorContext context) {
        return false;
    }

    @Override
    double[] coefficients(TensorContext context, double[][] g) {
        int k = g.length;
        double tol = context.params().number("tol");
        int maxIter = (int) context.params().number("max_iter");
        double[] out = new double[k + 1];
        if (k == 1) {
            out[1] = 1;
            return out;
        }
        double[] norms = new double[k];
        List<Integer> valid = new java.util.ArrayList<>();
        for (int i = 0; i < k; i++) {
            norms[i] = Math.sqrt(g[i][i]);
            if (norms[i] > tol) {
                valid.add(i);
            }
        }
        if (valid.isEmpty()) {
            return out;
        }
        double alpha = 1.0 / valid.size();
        double[] mean = new double[k];
        for (int i : valid) {
            mean[i] = alpha / norms[i];
        }
        double meanNorm = Math.sqrt(inner(mean, mean, g));
        if (meanNorm < tol) {
            mean = unit(valid.getFirst(), k, norms);
        } else {
            scale(mean, 1 / meanNorm);
        }
        for (int iter = 0; iter < maxIter; iter++) {
            double[] tangent = new double[k];
            for (int i : valid) {
                double[] u = unit(i, k, norms);
                double dot = Math.max(-1, Math.min(1, inner(mean, u, g)));
                double theta = Math.acos(dot);
                if (theta < tol) {
                    continue;
                }
                double f = alpha * theta / Math.sin(theta);
                for (int a = 0; a < k; a++) {
                    tangent[a] += f * (u[a] - dot * mean[a]);
                }
            }
            double tn = Math.sqrt(Math.max(0, inner(tangent, tangent, g)));
            if (tn < tol) {
                break;
            }
            for (int a = 0; a < k; a++) {
                mean[a] = Math.cos(tn) * mean[a] + Math.sin(tn) * tangent[a] / tn;
            }
            double un = Math.sqrt(inner(mean, mean, g));
            if (un > tol) {
                scale(mean, 1 / un);
            }
        }
        double s = 0;
        for (int i = 0; i < k; i++) {
            s += norms[i] / k;
        }
        for (int a = 0; a < k; a++) {
            out[a + 1] = s * mean[a];
        }
        return out;
    }

    private static double[] unit(int i, int k, double[] norms) {
        double[] u = new double[k];
        u[i] = 1 / norms[i];
        return u;
    }

    private static void scale(double[] v, double f) {
        for (int a = 0; a < v.length; a++) {
            v[a] *= f;
        }
    }
}
