package io.fedmerge.core.method;

import java.util.List;

/** One tensor of the hierarchical merge: its own cosine pass (tensor granularity) or its unit's weight, then H-1. */
final class HierarchicalTensorMerge implements TensorMerge {
    private final TensorContext ctx;
    private final float[] alphas;
    private final float divisor;
    private final float lambda;
    private final double minWeight;
    private final List<String> permuted;
    private Double weight;

    HierarchicalTensorMerge(TensorContext ctx, Double unitWeight, List<String> permuted) {
        this.ctx = ctx;
        this.permuted = permuted;
        TensorParameters p = ctx.params();
        double[] a = p.perModel("weight");
        alphas = new float[a.length];
        float sum = 0;
        for (int i = 0; i < a.length; i++) {
            alphas[i] = (float) a[i];
            sum += alphas[i];
        }
        divisor = p.flag("normalize") ? sum : 1f;
        lambda = (float) p.number("lambda");
        minWeight = p.number("min_weight");
        weight = unitWeight;
    }

    /** Without a block-level weight from the preparation, this tensor's own mean cosine gives it. */
    @Override
    public StatsPass<?> nextPass() {
        return weight != null ? null : StatsPass.of(s -> new CosineStats(alphas.length), this::weigh);
    }

    private void weigh(List<CosineStats> slices) {
        CosineStats total = new CosineStats(alphas.length);
        slices.forEach(total::add);
        double cosine = total.meanCosine();
        weight = Math.max(minWeight, cosine);
        ctx.report().accept(new UnitReport(ctx.tensorName(), cosine, weight, permuted));
    }

    @Override
    public BlockMerger merger(int slice) {
        float scale = (float) (lambda * weight);
        return (block, out) -> {
            int len = block.length();
            java.util.Arrays.fill(out, 0, len, 0f);
            for (int i = 0; i < alphas.length; i++) {
                float a = alphas[i];
                float[] d = block.deltas()[i];
                for (int j = 0; j < len; j++) {
                    out[j] += a * d[j];
                }
            }
            float[] base = block.base();
            for (int j = 0; j < len; j++) {
                out[j] = base[j] + scale * (out[j] / divisor);
            }
        };
    }
}
