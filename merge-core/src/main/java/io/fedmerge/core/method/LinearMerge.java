package io.fedmerge.core.method;

import java.util.List;

/**
 * mergekit's {@code linear}: a weighted average of the full weights θᵢ = θ₀ + Δᵢ (MERGE_METHODS §5.1). With
 * {@code normalize: false} and Σw ≠ 1 the base is scaled by Σw, exactly as mergekit does.
 */
public final class LinearMerge implements MergeMethod {
    private static final List<ParameterSpec> PARAMETERS =
            List.of(ParameterSpec.WEIGHT, ParameterSpec.flag("normalize", true));

    @Override
    public String name() {
        return "linear";
    }

    @Override
    public List<ParameterSpec> parameters() {
        return PARAMETERS;
    }

    /** mergekit runs it without a base too: the weights are the models' own. */
    @Override
    public MergeMethod withoutBase() {
        return this;
    }

    @Override
    public boolean baseEntryTakesPart() {
        return true;
    }

    @Override
    public void validate(TensorContext context) {
        if (!context.params().flag("normalize")) {
            return;
        }
        double sum = 0;
        for (double w : context.params().perModel("weight")) {
            sum += w;
        }
        if (Math.abs(sum) < 1e-8) {
            throw new io.fedmerge.core.config.ConfigException("linear with normalize: the weights sum to " + sum
                    + " for tensor " + context.tensorName() + "; normalising would divide by zero. Change the"
                    + " weights or set normalize: false");
        }
    }

    /** Σwᵢ(θ₀ + Δᵢ)/D = θ₀·Σw/D + Σ(wᵢ/D)Δᵢ: linear in the deltas when the base keeps weight 1 (Σw = D). */
    @Override
    public double[] linearCoefficients(TensorContext context) {
        double[] w = context.params().perModel("weight");
        double sum = 0;
        for (double x : w) {
            sum += x;
        }
        double divisor = context.params().flag("normalize") ? sum : 1;
        if (Math.abs(sum - divisor) > 1e-12) {
            return null;
        }
        double[] c = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            c[i] = w[i] / divisor;
        }
        return c;
    }

    @Override
    public TensorMerge forTensor(TensorContext context) {
        double[] w = context.params().perModel("weight");
        float[] weights = new float[w.length];
        float sum = 0;
        for (int i = 0; i < w.length; i++) {
            weights[i] = (float) w[i];
            sum += weights[i];
        }
        float divisor = context.params().flag("normalize") ? sum : 1f;
        BlockMerger merger = (slice, out) -> {
            float[] base = slice.base();
            int len = slice.length();
            java.util.Arrays.fill(out, 0, len, 0f);
            // Contributor-major so the element loop vectorises; per element the sum still runs i = 1..K.
            for (int i = 0; i < weights.length; i++) {
                float wi = weights[i];
                float[] d = slice.deltas()[i];
                for (int j = 0; j < len; j++) {
                    out[j] += wi * (base[j] + d[j]);
                }
            }
            for (int j = 0; j < len; j++) {
                out[j] /= divisor;
            }
        };
        return slice -> merger;
    }
}
