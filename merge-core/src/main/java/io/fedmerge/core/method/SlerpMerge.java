package io.fedmerge.core.method;

import io.fedmerge.core.config.ConfigException;
import java.util.List;

/**
 * mergekit's {@code slerp} (MERGE_METHODS §5.7): spherical interpolation between the base (t = 0) and one model
 * (t = 1), the whole tensor flattened; nearly colinear tensors fall back to a plain lerp. Norms and the dot product
 * are whole-tensor statistics, gathered in float64 by one pass before the element-wise pass.
 */
public final class SlerpMerge implements MergeMethod {
    private static final double COLINEAR = 0.9995;
    private static final double TINY_NORM = 1e-8;
    private static final List<ParameterSpec> PARAMETERS = List.of(ParameterSpec.number("t",
            ParameterSpec.Scope.GLOBAL, null, Double::isFinite, "a finite number (0 = base, 1 = the model)"));

    @Override
    public String name() {
        return "slerp";
    }

    @Override
    public List<ParameterSpec> parameters() {
        return PARAMETERS;
    }

    @Override
    public void validate(TensorContext context) {
        if (context.contributors() != 1) {
            throw new ConfigException("slerp interpolates between base_model and exactly one other model, but "
                    + context.contributors() + " are listed; for two models without the base use nuslerp");
        }
        double t = context.params().number("t");
        if (t < 0 || t > 1) {
            context.warnings().accept("slerp: t = " + t + " for " + context.tensorName()
                    + " lies outside [0, 1]; the result extrapolates beyond the two models");
        }
    }

    @Override
    public TensorMerge forTensor(TensorContext context) {
        return new Tensor(context.params().number("t"));
    }

    private static final class Tensor implements TensorMerge {
        private final double t;
        private float a;
        private float b;
        private boolean measured;

        Tensor(double t) {
            this.t = t;
        }

        @Override
        public StatsPass<?> nextPass() {
            return measured ? null : StatsPass.of(s -> new Sums(), this::angle);
        }

        private static final class Sums implements SliceAccumulator {
            double base;
            double model;
            double dot;

            @Override
            public void accept(Slice block) {
                float[] x = block.base();
                float[] d = block.deltas()[0];
                for (int j = 0; j < block.length(); j++) {
                    double u = x[j];
                    double v = x[j] + d[j];
                    base += u * u;
                    model += v * v;
                    dot += u * v;
                }
            }
        }

        private void angle(List<Sums> slices) {
            measured = true;
            double base = 0;
            double model = 0;
            double dot = 0;
            for (Sums sums : slices) {
                base += sums.base;
                model += sums.model;
                dot += sums.dot;
            }
            double n0 = Math.sqrt(base);
            double n1 = Math.sqrt(model);
            double c = dot / ((n0 > TINY_NORM ? n0 : 1) * (n1 > TINY_NORM ? n1 : 1));
            if (Math.abs(c) > COLINEAR) {
                a = (float) (1 - t);
                b = (float) t;
                return;
            }
            double omega = Math.acos(c);
            double sin = Math.sin(omega);
            a = (float) (Math.sin((1 - t) * omega) / sin);
            b = (float) (Math.sin(t * omega) / sin);
        }

        @Override
        public BlockMerger merger(int slice) {
            return (block, out) -> {
                float[] x = block.base();
                float[] d = block.deltas()[0];
                for (int j = 0; j < block.length(); j++) {
                    out[j] = a * x[j] + b * (x[j] + d[j]);
                }
            };
        }
    }
}
