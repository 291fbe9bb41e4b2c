package io.fedmerge.core.method;

import io.fedmerge.core.config.ConfigException;
import java.util.List;

/**
 * mergekit's {@code nearswap}: per element a = clamp(t / max(|θ₀ − θ₁|, 1e-6), 0, 1), out = a·θ₁ + (1 − a)·θ₀ —
 * take the model's value where it is near the base, keep the base where they differ much.
 */
public final class NearSwapMerge implements MergeMethod {
    private static final List<ParameterSpec> PARAMETERS = List.of(ParameterSpec.number("t",
            ParameterSpec.Scope.GLOBAL, null, v -> Double.isFinite(v) && v >= 0, "a non-negative number"));

    @Override
    public String name() {
        return "nearswap";
    }

    @Override
    public List<ParameterSpec> parameters() {
        return PARAMETERS;
    }

    @Override
    public void validate(TensorContext context) {
        if (context.contributors() != 1) {
            throw new ConfigException("nearswap takes the base and exactly one model, found "
                    + context.contributors());
        }
    }

    @Override
    public TensorMerge forTensor(TensorContext context) {
        float t = (float) context.params().number("t");
        BlockMerger merger = (block, out) -> {
            float[] base = block.base();
            float[] d = block.deltas()[0];
            for (int j = 0; j < block.length(); j++) {
                float a = Math.min(1f, Math.max(0f, t / Math.max(Math.abs(d[j]), 1e-6f)));
                out[j] = a * (base[j] + d[j]) + (1 - a) * base[j];
            }
        };
        return slice -> merger;
    }
}
