package io.fedmerge.core.method;

import io.fedmerge.core.config.ConfigException;
import java.util.List;

/**
 * mergekit's {@code model_stock}: c = mean pairwise cosine of the task vectors, t = K·c / (1 + (K − 1)·c), and
 * out = t·mean(θᵢ) + (1 − t)·θ₀ = θ₀ + t·mean(Δᵢ); per row with {@code filter_wise}.
 */
public final class ModelStockMerge extends SpanMerge {
    private static final List<ParameterSpec> PARAMETERS = List.of(ParameterSpec.flag("filter_wise", false));

    @Override
    public String name() {
        return "model_stock";
    }

    @Override
    public List<ParameterSpec> parameters() {
        return PARAMETERS;
    }

    @Override
    public void validate(TensorContext context) {
        if (context.contributors() < 2) {
            throw new ConfigException("model_stock needs at least two models besides the base, found "
                    + context.contributors());
        }
    }

    @Override
    boolean onDeltas(TensorContext context) {
        return true;
    }

    @Override
    Segments segments(TensorContext context) {
        return context.params().flag("filter_wise") ? Segments.ROWS : Segments.WHOLE;
    }

    @Override
    double[] coefficients(TensorContext context, double[][] g) {
        int k = g.length;
        double sum = 0;
        int pairs = 0;
        for (int a = 0; a < k; a++) {
            for (int b = a + 1; b < k; b++) {
                double norms = Math.sqrt(g[a][a]) * Math.sqrt(g[b][b]);
                sum += norms == 0 ? 0 : Math.max(-1, Math.min(1, g[a][b] / norms));
                pairs++;
            }
        }
        double c = sum / pairs;
        double t = k * c / (1 + (k - 1) * c);
        double[] out = new double[k + 1];
        out[0] = 1;
        for (int i = 1; i <= k; i++) {
            out[i] = t / k;
        }
        return out;
    }
}
