package io.fedmerge.core.method;

import io.fedmerge.core.config.ConfigException;
import java.util.List;

/**
 * mergekit's {@code ram} and {@code ramplus_tl} (Reinforced Agent Merging). Per element, the models whose change
 * exceeds ε count as contributing (n of them): an element changed by one model only keeps that change whole, one
 * changed by several gets their mean. {@code ramplus_tl} boosts each model's unique changes by
 * λᵢ = 1 + r·clamp(sharedᵢ / max(uniqueᵢ, ε), 0, α), from how many of the tensor's elements model i shares with others
 * against how many it alone changes: one counting pass over the tensor.
 */
public final class RamMerge implements MergeMethod {
    private static final ParameterSpec EPSILON = ParameterSpec.number("epsilon", ParameterSpec.Scope.GLOBAL, 1e-5,
            v -> Double.isFinite(v) && v >= 0, "a non-negative number");
    private static final List<ParameterSpec> RAM = List.of(EPSILON);
    private static final List<ParameterSpec> RAM_PLUS = List.of(
            ParameterSpec.number("r", ParameterSpec.Scope.GLOBAL, 0.1, Double::isFinite, "a finite number"),
            ParameterSpec.number("alpha", ParameterSpec.Scope.GLOBAL, 0.2, v -> Double.isFinite(v) && v >= 0,
                    "a non-negative number"),
            EPSILON);

    private final boolean plus;

    private RamMerge(boolean plus) {
        this.plus = plus;
    }

    public static RamMerge ram() {
        return new RamMerge(false);
    }

    public static RamMerge ramPlusTensorLocal() {
        return new RamMerge(true);
    }

    @Override
    public String name() {
        return plus ? "ramplus_tl" : "ram";
    }

    @Override
    public List<ParameterSpec> parameters() {
        return plus ? RAM_PLUS : RAM;
    }

    @Override
    public void validate(TensorContext context) {
        if (context.contributors() < 1) {
            throw new ConfigException(name() + " needs at least one model besides the base");
        }
    }

    @Override
    public TensorMerge forTensor(TensorContext context) {
        return new RamTensorMerge(context, plus);
    }

    private static final class RamTensorMerge implements TensorMerge {
        private final int k;
        private final float epsilon;
        private final boolean plus;
        private final double r;
        private final double alpha;
        private final long[] shared;
        private final long[] unique;
        private final float[] boost;
        private boolean counted;

        RamTensorMerge(TensorContext ctx, boolean plus) {
            this.k = ctx.contributors();
            this.epsilon = (float) ctx.params().number("epsilon");
            this.plus = plus;
            this.r = plus ? ctx.params().number("r") : 0;
            this.alpha = plus ? ctx.params().number("alpha") : 0;
            this.shared = new long[k];
            this.unique = new long[k];
            this.boost = new float[k];
            java.util.Arrays.fill(boost, 1f);
        }

        @Override
        public StatsPass<?> nextPass() {
            return !plus || counted ? null : StatsPass.of(s -> overlapCounts(), slices -> boost());
        }

        private SliceAccumulator overlapCounts() {
            return new SliceAccumulator() {
                final long[] sliceShared = new long[k];
                final long[] sliceUnique = new long[k];

                @Override
                public void accept(Slice block) {
                    float[][] d = block.deltas();
                    for (int j = 0; j < block.length(); j++) {
                        int n = contributing(d, j);
                        for (int i = 0; i < k; i++) {
                            if (Math.abs(d[i][j]) > epsilon) {
                                (n == 1 ? sliceUnique : sliceShared)[i]++;
                            }
                        }
                    }
                }

                @Override
                public void finish() {
                    synchronized (RamTensorMerge.this) {
                        for (int i = 0; i < k; i++) {
                            shared[i] += sliceShared[i];
                            unique[i] += sliceUnique[i];
                        }
                    }
                }
            };
        }

        private synchronized void boost() {
            counted = true;
            for (int i = 0; i < k; i++) {
                double rho = shared[i] / Math.max((double) unique[i], epsilon);
                boost[i] = (float) (1 + r * Math.min(alpha, Math.max(0, rho)));
            }
        }

        private int contributing(float[][] d, int j) {
            int n = 0;
            for (int i = 0; i < k; i++) {
                if (Math.abs(d[i][j]) > epsilon) {
                    n++;
                }
            }
            return n;
        }

        @Override
        public BlockMerger merger(int slice) {
            return (block, out) -> {
                float[] base = block.base();
                float[][] d = block.deltas();
                for (int j = 0; j < block.length(); j++) {
                    int n = contributing(d, j);
                    float merged = 0f;
                    for (int i = 0; i < k; i++) {
                        float x = Math.abs(d[i][j]) > epsilon ? d[i][j] : 0f;
                        merged += n == 1 ? x * boost[i] : n > 1 ? x / n : 0f;
                    }
                    out[j] = base[j] + merged;
                }
            };
        }
    }
}
