package io.fedmerge.core.method;

import io.fedmerge.core.config.ConfigException;
import java.util.List;

/**
 * mergekit's {@code nuslerp} with a base: θ₀ + SLERP of the two task vectors at t = w₂ / (w₁ + w₂) (0.5 when the
 * weights cancel), over the flattened tensor ({@code nuslerp_flatten}, default), else per row, or per column with
 * {@code nuslerp_row_wise}. Nearly colinear vectors (|sin Ω| < 1e-8) are interpolated linearly. Without a base, the
 * SLERP of the two models' own weights.
 */
public final class NuSlerpMerge extends SpanMerge {
    private static final List<ParameterSpec> PARAMETERS = List.of(ParameterSpec.WEIGHT,
            ParameterSpec.flag("nuslerp_flatten", true), ParameterSpec.flag("nuslerp_row_wise", false));

    private final boolean onDeltas;

    public NuSlerpMerge() {
        this(true);
    }

    private NuSlerpMerge(boolean onDeltas) {
        this.onDeltas = onDeltas;
    }

    @Override
    public String name() {
        return "nuslerp";
    }

    @Override
    public MergeMethod withoutBase() {
        return new NuSlerpMerge(false);
    }

    @Override
    public List<ParameterSpec> parameters() {
        return PARAMETERS;
    }

    @Override
    public void validate(TensorContext context) {
        if (context.contributors() != 2) {
            throw new ConfigException("nuslerp merges exactly two models" + (onDeltas ? " besides the base" : "")
                    + ", found " + context.contributors() + (onDeltas ? "; for one model and the base use slerp" : ""));
        }
    }

    @Override
    boolean onDeltas(TensorContext context) {
        return onDeltas;
    }

    @Override
    Segments segments(TensorContext context) {
        if (context.params().flag("nuslerp_flatten")) {
            return Segments.WHOLE;
        }
        return context.params().flag("nuslerp_row_wise") ? Segments.COLUMNS : Segments.ROWS;
    }

    @Override
    double[] coefficients(TensorContext context, double[][] g) {
        double base = onDeltas ? 1 : 0;
        double[] w = context.params().perModel("weight");
        double t = Math.abs(w[0] + w[1]) < 1e-6 ? 0.5 : w[1] / (w[0] + w[1]);
        double n0 = Math.max(Math.sqrt(g[0][0]), 1e-7);
        double n1 = Math.max(Math.sqrt(g[1][1]), 1e-7);
        double theta = Math.acos(Math.max(-1, Math.min(1, g[0][1] / (n0 * n1))));
        double sin = Math.sin(theta);
        if (Math.abs(sin) < 1e-8) {
            return new double[] {base, 1 - t, t};
        }
        return new double[] {base, Math.sin((1 - t) * theta) / sin, Math.sin(t * theta) / sin};
    }
}
