package io.fedmerge.core.method;

import io.fedmerge.core.align.Dots;
import java.util.Arrays;
import java.util.List;

/**
 * One tensor of a {@link GeneralizedTaskArithmetic} merge: the sparsifier's passes, the L1 norms for the l1 rescale,
 * then the element-wise combination.
 */
final class GtaTensorMerge implements TensorMerge {
    private final GeneralizedTaskArithmetic method;
    private final int k;
    private final float[] weights;
    private final boolean normalize;
    private final boolean rescale;
    private final String rescaleMode;
    private final float lambda;
    private final double[] density;
    private final DeltaSparsifier sparsifier;
    private final float[] scale;
    private boolean normsPending;

    GtaTensorMerge(GeneralizedTaskArithmetic method, TensorContext ctx) {
        this.method = method;
        this.k = ctx.contributors();
        TensorParameters p = ctx.params();
        double[] w = p.perModel("weight");
        this.weights = new float[k];
        for (int i = 0; i < k; i++) {
            weights[i] = (float) w[i];
        }
        this.density = p.perModel("density");
        this.normalize = p.flag("normalize");
        this.rescale = p.flag("rescale") && method.sparsifier() != Sparsifier.NONE;
        this.rescaleMode = p.string("rescale_mode");
        this.lambda = (float) p.number("lambda");
        this.sparsifier = new DeltaSparsifier(method.sparsifier(), ctx,
                rescale && rescaleMode.equals("inverse_probability"));
        this.scale = new float[k];
        Arrays.fill(scale, 1f);
        boolean anySparse = false;
        for (int i = 0; i < k; i++) {
            anySparse |= sparsifier.sparsifies(i);
        }
        this.normsPending = rescale && anySparse && rescaleMode.equals("l1");
    }

    @Override
    public StatsPass<?> nextPass() {
        StatsPass<?> ranking = sparsifier.nextPass();
        if (ranking != null) {
            return ranking;
        }
        if (normsPending) {
            normsPending = false;
            sparsifier.rememberCostlyDecisions();
            return StatsPass.of(NormsAccumulator::new, this::rescaleByNorms);
        }
        return null;
    }

    /** L1 norms before and after sparsification, for the l1 rescale; summed per slice, then in slice order. */
    private final class NormsAccumulator implements SliceAccumulator {
        private final double[] before = new double[k];
        private final double[] after = new double[k];
        private final Selection.Cursor[] cursors;

        NormsAccumulator(int slice) {
            cursors = cursors(slice);
        }

        @Override
        public void accept(Slice block) {
            for (int i = 0; i < k; i++) {
                float[] d = block.deltas()[i];
                before[i] += Dots.l1(d, block.length());
                cursors[i].apply(block, d);
                after[i] += Dots.l1(d, block.length());
            }
        }
    }

    private void rescaleByNorms(List<NormsAccumulator> slices) {
        for (int i = 0; i < k; i++) {
            double before = 0;
            double after = 0;
            for (NormsAccumulator a : slices) {
                before += a.before[i];
                after += a.after[i];
            }
            if (sparsifier.sparsifies(i) && before >= 1e-7 && after >= 1e-7) {
                scale[i] = (float) (before / after);
            }
        }
    }

    private Selection.Cursor[] cursors(int slice) {
        Selection.Cursor[] c = new Selection.Cursor[k];
        for (int i = 0; i < k; i++) {
            c[i] = sparsifier.selection(i).cursor(slice);
        }
        return c;
    }

    @Override
    public BlockMerger merger(int slice) {
        Selection.Cursor[] cursors = cursors(slice);
        return (block, out) -> merge(block, out, cursors);
    }

    private void merge(Slice block, float[] out, Selection.Cursor[] cursors) {
        int len = block.length();
        float[][] d = block.deltas();
        for (int i = 0; i < k; i++) {
            cursors[i].apply(block, d[i]);
            float factor = weights[i] * rescaleFactor(i);
            float[] di = d[i];
            for (int j = 0; j < len; j++) {
                di[j] *= factor;
            }
        }
        if (method.consensus()) {
            combineWithConsensus(d, len, out);
        } else {
            combineLinearly(d, len, out);
        }
        float[] base = block.base();
        for (int j = 0; j < len; j++) {
            out[j] = base[j] + lambda * out[j];
        }
    }

    private float rescaleFactor(int i) {
        if (!rescale || !sparsifier.sparsifies(i)) {
            return 1f;
        }
        return switch (rescaleMode) {
            case "l1" -> scale[i];
            case "inverse_probability" -> method.sparsifier() == Sparsifier.DELLA_MAGPRUNE ? 1f
                    : (float) (1.0 / density[i]); // DELLA divides by each survivor's own p in its selection
            default -> (float) (1.0 / density[i]);
        };
    }

    private void combineLinearly(float[][] w, int len, float[] out) {
        float div = 0;
        for (int i = 0; i < k; i++) {
            div += weights[i];
        }
        if (Math.abs(div) < 1e-8f) {
            div = 1f;
        }
        // Contributor-major loops so the element loop vectorises; the sum order per element is still i = 1..K.
        Arrays.fill(out, 0, len, 0f);
        for (int i = 0; i < k; i++) {
            float[] wi = w[i];
            for (int j = 0; j < len; j++) {
                out[j] += wi[j];
            }
        }
        if (normalize) {
            for (int j = 0; j < len; j++) {
                out[j] /= div;
            }
        }
    }

    private void combineWithConsensus(float[][] w, int len, float[] out) {
        ConsensusKernel.combine(w, null, weights, len, normalize, out);
    }
}
