package io.fedmerge.core.method;

import io.fedmerge.core.tensor.CounterRng;
import java.util.ArrayList;
import java.util.List;

/** One tensor of a {@link GeneralizedTaskArithmetic} merge: statistics passes, then the element-wise combination. */
final class GtaTensorMerge implements TensorMerge {
    private enum Pass { SAMPLE, COUNT, REFINE, NORMS }

    /** The sampling pass reads one slice in this many (always slice 0, so small tensors are read whole). */
    private static final int SAMPLE_EVERY = 8;

    private final GeneralizedTaskArithmetic method;
    private final TensorContext ctx;
    private final int k;
    private final long n;
    private final float[] weights;
    private final double[] density;
    private final double[] gamma;
    private final double[] epsilon;
    private final boolean normalize;
    private final boolean rescale;
    private final String rescaleMode;
    private final float lambda;
    private final MagnitudeRanks[] ranks;
    private final Selection[] selections;
    private final boolean[] refined;
    private final float[] scale;
    private final List<Pass> passes = new ArrayList<>();

    GtaTensorMerge(GeneralizedTaskArithmetic method, TensorContext ctx) {
        this.method = method;
        this.ctx = ctx;
        this.k = ctx.contributors();
        this.n = ctx.elementCount();
        TensorParameters p = ctx.params();
        double[] w = p.perModel("weight");
        this.weights = new float[k];
        for (int i = 0; i < k; i++) {
            weights[i] = (float) w[i];
        }
        this.density = p.perModel("density");
        this.gamma = method.sparsifier() == Sparsifier.MAGNITUDE_OUTLIERS ? p.perModel("gamma") : new double[k];
        this.epsilon = method.sparsifier() == Sparsifier.DELLA_MAGPRUNE ? p.perModel("epsilon") : new double[k];
        this.normalize = p.flag("normalize");
        this.rescale = p.flag("rescale") && method.sparsifier() != Sparsifier.NONE;
        this.rescaleMode = p.string("rescale_mode");
        this.lambda = (float) p.number("lambda");
        this.ranks = new MagnitudeRanks[k];
        this.selections = new Selection[k];
        this.refined = new boolean[k];
        this.scale = new float[k];
        java.util.Arrays.fill(scale, 1f);
        planSelections();
    }

    private boolean sparsifies(int i) {
        return method.sparsifier() != Sparsifier.NONE && density[i] < 1;
    }

    private void planSelections() {
        boolean anyRanked = false;
        boolean anySparse = false;
        for (int i = 0; i < k; i++) {
            if (!sparsifies(i)) {
                selections[i] = new Selection.KeepAll();
                continue;
            }
            anySparse = true;
            switch (method.sparsifier()) {
                case RANDOM -> selections[i] = new Selection.RandomKeep(
                        CounterRng.forTensor(ctx.seed(), ctx.tensorName(), ctx.contributorIds().get(i)), density[i]);
                case MAGNITUDE -> anyRanked |= planTopK(i);
                case MAGNITUDE_OUTLIERS -> anyRanked |= planOutliers(i);
                case DELLA_MAGPRUNE -> selections[i] = new Selection.DellaKeep(
                        CounterRng.forTensor(ctx.seed(), ctx.tensorName(), ctx.contributorIds().get(i)), density[i],
                        epsilon[i], rowLength(), rescale && rescaleMode.equals("inverse_probability"));
                case NONE -> throw new IllegalStateException();
            }
        }
        if (anyRanked) {
            passes.add(Pass.SAMPLE);
            passes.add(Pass.COUNT);
            passes.add(Pass.REFINE);
        }
        if (rescale && anySparse && rescaleMode.equals("l1")) {
            passes.add(Pass.NORMS);
        }
    }

    private int rowLength() {
        long[] shape = ctx.shape();
        long rows = shape.length <= 1 ? 1 : shape[0];
        return (int) (n / Math.max(1, rows));
    }

    private boolean planTopK(int i) {
        long keep = (long) Math.floor(density[i] * n);
        if (keep == 0) {
            ctx.warnings().accept(ctx.tensorName() + ": density " + density[i] + " keeps no element of "
                    + n + " for " + ctx.contributorIds().get(i) + "; its delta is dropped for this tensor");
            selections[i] = new Selection.KeepNone();
            return false;
        }
        if (keep >= n) {
            selections[i] = new Selection.KeepAll();
            return false;
        }
        ranks[i] = new MagnitudeRanks(n, n - keep);
        return true;
    }

    /** Breadcrumbs' cut: how many of the smallest and of the largest magnitudes are dropped (§3.1). */
    private record Cut(long bottom, long top) {}

    private Cut cut(int i) {
        long target = (long) Math.floor(density[i] * n);
        long top = (long) Math.floor(gamma[i] * n);
        long bottom = n - target - top;
        return bottom < 0 ? new Cut(0, top + bottom) : new Cut(bottom, top); // never keep fewer than target
    }

    private boolean planOutliers(int i) {
        long bottom = cut(i).bottom();
        long top = cut(i).top();
        if (bottom == 0 && top == 0) {
            selections[i] = new Selection.KeepAll();
            return false;
        }
        if (bottom + top >= n) {
            selections[i] = new Selection.KeepNone();
            return false;
        }
        List<Long> wanted = new ArrayList<>();
        if (bottom > 0) {
            wanted.add(bottom);
        }
        if (top > 0) {
            wanted.add(n - top - 1);
        }
        ranks[i] = new MagnitudeRanks(n, wanted.stream().mapToLong(Long::longValue).toArray());
        return true;
    }

    @Override
    public int statsPasses() {
        return passes.size();
    }

    @Override
    public boolean visits(int pass, int slice) {
        return passes.get(pass) != Pass.SAMPLE || slice % SAMPLE_EVERY == 0;
    }

    @Override
    public SliceAccumulator accumulator(int pass, int slice) {
        return switch (passes.get(pass)) {
            case SAMPLE -> new SampleAccumulator();
            case COUNT -> new CountAccumulator();
            case REFINE -> new RefineAccumulator();
            case NORMS -> new NormsAccumulator(slice);
        };
    }

    /** Bucket counts of the rank-selected contributors, folded into their totals when the slice ends. */
    private class BucketAccumulator implements SliceAccumulator {
        final int[][] counts = new int[k][];

        @Override
        public void accept(Slice block) {
            for (int i = 0; i < k; i++) {
                if (ranks[i] != null) {
                    if (counts[i] == null) {
                        counts[i] = new int[MagnitudeRanks.COUNT_LANES * MagnitudeRanks.BUCKETS];
                    }
                    MagnitudeRanks.count(counts[i], block.deltas()[i], block.length());
                }
            }
        }

        void fold(int i, int[] c) {
            ranks[i].addCounts(c);
        }

        @Override
        public void finish() {
            for (int i = 0; i < k; i++) {
                if (counts[i] != null) {
                    fold(i, counts[i]);
                    counts[i] = null;
                }
            }
        }
    }

    /** A first look at one slice in {@link #SAMPLE_EVERY}: where the thresholds probably lie. */
    private final class SampleAccumulator extends BucketAccumulator {
        @Override
        void fold(int i, int[] c) {
            ranks[i].addSample(c);
        }
    }

    /** The full count, refining the sampled candidate buckets on the way. */
    private final class CountAccumulator extends BucketAccumulator {
        private final MagnitudeRanks.Collector[] collectors = new MagnitudeRanks.Collector[k];
        private final MagnitudeRanks.Refinement[] refinements = new MagnitudeRanks.Refinement[k];

        CountAccumulator() {
            for (int i = 0; i < k; i++) {
                collectors[i] = ranks[i] == null ? null : ranks[i].candidateCollector();
            }
        }

        @Override
        public void accept(Slice block) {
            super.accept(block);
            for (int i = 0; i < k; i++) {
                if (collectors[i] != null) {
                    collectors[i].accept(block.deltas()[i], block.length());
                }
            }
        }

        @Override
        public void finish() {
            super.finish();
            for (int i = 0; i < k; i++) {
                if (collectors[i] != null) {
                    refinements[i] = collectors[i].finish();
                    collectors[i] = null;
                }
            }
        }
    }

    private final class RefineAccumulator implements SliceAccumulator {
        private final MagnitudeRanks.Collector[] collectors = new MagnitudeRanks.Collector[k];
        private final MagnitudeRanks.Refinement[] refinements = new MagnitudeRanks.Refinement[k];

        RefineAccumulator() {
            for (int i = 0; i < k; i++) {
                collectors[i] = ranks[i] == null || refined[i] ? null : ranks[i].collector();
            }
        }

        @Override
        public void accept(Slice block) {
            for (int i = 0; i < k; i++) {
                if (collectors[i] != null) {
                    collectors[i].accept(block.deltas()[i], block.length());
                }
            }
        }

        @Override
        public void finish() {
            for (int i = 0; i < k; i++) {
                if (collectors[i] != null) {
                    refinements[i] = collectors[i].finish();
                    collectors[i] = null;
                }
            }
        }
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
                before[i] += l1(d, block.length());
                cursors[i].apply(block, d);
                after[i] += l1(d, block.length());
            }
        }
    }

    private Selection.Cursor[] cursors(int slice) {
        Selection.Cursor[] c = new Selection.Cursor[k];
        for (int i = 0; i < k; i++) {
            c[i] = selections[i].cursor(slice);
        }
        return c;
    }

    private static double l1(float[] d, int length) {
        return io.fedmerge.core.align.Dots.l1(d, length);
    }

    @Override
    public void endPass(int pass, List<SliceAccumulator> slices) {
        for (int i = 0; i < k; i++) {
            switch (passes.get(pass)) {
                case SAMPLE -> {
                    if (ranks[i] != null) {
                        ranks[i].endSample();
                    }
                }
                case COUNT -> endCount(i, slices);
                case REFINE -> endRefine(i, slices);
                case NORMS -> endNorms(i, slices);
            }
        }
        if (passes.get(pass) == Pass.COUNT && allRefined()) {
            passes.remove(Pass.REFINE); // the runner reads statsPasses() before each pass
        }
    }

    private boolean allRefined() {
        for (int i = 0; i < k; i++) {
            if (ranks[i] != null && !refined[i]) {
                return false;
            }
        }
        return true;
    }

    /** With the exact counts known: finish now if the sampled candidates covered the threshold buckets. */
    private void endCount(int i, List<SliceAccumulator> slices) {
        if (ranks[i] == null) {
            return;
        }
        ranks[i].endCount();
        if (!ranks[i].refinedByCandidates()) {
            return;
        }
        List<MagnitudeRanks.Refinement> refinements = new ArrayList<>(slices.size());
        for (SliceAccumulator a : slices) {
            refinements.add(((CountAccumulator) a).refinements[i]);
        }
        finishSelection(i, refinements);
    }

    private void finishSelection(int i, List<MagnitudeRanks.Refinement> refinements) {
        ranks[i].endRefine(refinements);
        selections[i] = method.sparsifier() == Sparsifier.MAGNITUDE ? topK(i) : outliers(i);
        refined[i] = true;
    }

    private void endRefine(int i, List<SliceAccumulator> slices) {
        if (ranks[i] == null || refined[i]) {
            return;
        }
        List<MagnitudeRanks.Refinement> refinements = new ArrayList<>(slices.size());
        for (SliceAccumulator a : slices) {
            refinements.add(((RefineAccumulator) a).refinements[i]);
        }
        finishSelection(i, refinements);
    }

    private Selection topK(int i) {
        MagnitudeRanks.Threshold t = ranks[i].threshold(0);
        long keep = (long) Math.floor(density[i] * n);
        long above = n - t.below() - t.equal();
        return new Selection.TopK(t, keep - above);
    }

    private Selection outliers(int i) {
        long bottom = cut(i).bottom();
        long top = cut(i).top();
        MagnitudeRanks.Threshold lower = bottom > 0 ? ranks[i].threshold(0) : null;
        MagnitudeRanks.Threshold upper = top > 0 ? ranks[i].threshold(bottom > 0 ? 1 : 0) : null;
        return new Selection.Outliers(lower, bottom, upper, n - top);
    }

    private void endNorms(int i, List<SliceAccumulator> slices) {
        double before = 0;
        double after = 0;
        for (SliceAccumulator a : slices) {
            before += ((NormsAccumulator) a).before[i];
            after += ((NormsAccumulator) a).after[i];
        }
        if (sparsifies(i) && before >= 1e-7 && after >= 1e-7) {
            scale[i] = (float) (before / after);
        }
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
        if (!rescale || !sparsifies(i)) {
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
        java.util.Arrays.fill(out, 0, len, 0f);
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
        ConsensusKernel.combine(w, weights, len, normalize, out);
    }
}
