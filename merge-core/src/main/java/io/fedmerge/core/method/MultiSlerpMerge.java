package io.fedmerge.core.method;

import io.fedmerge.core.config.ConfigException;
import java.util.List;

/**
 * mergekit's {@code multislerp}: barycentric interpolation on the hypersphere of the task vectors — project the unit
 * vectors to the tangent space at their weighted mean, average there, map back with the exponential map, scale by
 * the weighted mean norm, add to the base. Every step is linear in the task vectors, so it runs on their Gram matrix.
 */
public final class MultiSlerpMerge extends SpanMerge {
    private static final List<ParameterSpec> PARAMETERS = List.of(ParameterSpec.WEIGHT,
            ParameterSpec.flag("normalize_weights", true),
            ParameterSpec.number("eps", ParameterSpec.Scope.GLOBAL, 1e-8, e -> e > 0 && e < 1, "0 < eps < 1"));

    @Override
    public String name() {
        return "multislerp";
    }

    @Override
    public List<ParameterSpec> parameters() {
        return PARAMETERS;
    }

    @Override
    boolean onDeltas(TensorContext context) {
        return true;
    }

    @Override
    double[] coefficients(TensorContext context, double[][] g) {
        int k = g.length;
        double[] w = context.params().perModel("weight");
        double eps = context.params().number("eps");
        if (k == 1) {
            return new double[] {1, 1};
        }
        if (context.params().flag("normalize_weights")) {
            double sum = 0;
            for (double x : w) {
                sum += x;
            }
            for (int i = 0; i < k; i++) {
                w[i] /= sum;
            }
        }
        double[][] unit = new double[k][k]; // unit vector i as coefficients over the task vectors
        double[] norms = new double[k];
        double[] mean = new double[k];
        for (int i = 0; i < k; i++) {
            norms[i] = Math.sqrt(g[i][i]);
            unit[i][i] = 1 / (norms[i] + eps);
            mean[i] = w[i] * unit[i][i];
        }
        double meanNorm = Math.sqrt(inner(mean, mean, g));
        if (meanNorm < eps) {
            if (k == 2) {
                return new double[] {1, w[0], w[1]};
            }
            throw new ConfigException("multislerp on " + context.tensorName() + ": the weighted unit task vectors"
                    + " cancel out (antipodal inputs with balancing weights); use different weights");
        }
        for (int i = 0; i < k; i++) {
            mean[i] /= meanNorm;
        }
        double[] tangent = new double[k];
        for (int i = 0; i < k; i++) {
            double dot = inner(unit[i], mean, g);
            for (int a = 0; a < k; a++) {
                tangent[a] += w[i] * (unit[i][a] - dot * mean[a]);
            }
        }
        double tangentNorm = Math.sqrt(Math.max(0, inner(tangent, tangent, g))) + eps;
        double scale = 0;
        for (int i = 0; i < k; i++) {
            scale += norms[i] * w[i];
        }
        double[] out = new double[k + 1];
        out[0] = 1;
        for (int a = 0; a < k; a++) {
            out[a + 1] = scale * (mean[a] * Math.cos(tangentNorm) + tangent[a] * Math.sin(tangentNorm) / tangentNorm);
        }
        return out;
    }
}
