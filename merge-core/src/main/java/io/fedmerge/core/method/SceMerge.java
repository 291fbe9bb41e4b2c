package io.fedmerge.core.method;

import java.util.ArrayList;
import java.util.List;

/**
 * mergekit's {@code sce}: optionally keep only the {@code select_topk} fraction of positions where the contributors'
 * deltas vary most (among positions with non-zero variance), weight each contributor by its mean squared delta,
 * elect signs by the sum of deltas, and average the agreeing deltas by those weights. The top-k over variances uses
 * the same exact streaming thresholds as TIES (ties by lowest flat index).
 */
public final class SceMerge implements MergeMethod {
    private static final List<ParameterSpec> PARAMETERS = List.of(
            ParameterSpec.number("select_topk", ParameterSpec.Scope.GLOBAL, 1.0, v -> v > 0 && v <= 1,
                    "0 < select_topk <= 1"),
            ParameterSpec.INT8_MASK);

    @Override
    public String name() {
        return "sce";
    }

    @Override
    public List<ParameterSpec> parameters() {
        return PARAMETERS;
    }

    @Override
    public TensorMerge forTensor(TensorContext context) {
        return new Tensor(context);
    }

    private static final class Tensor implements TensorMerge {
        private enum Pass { COUNT, REFINE, WEIGHTS }

        private final TensorContext ctx;
        private final int k;
        private final long n;
        private final double topk;
        private final List<Pass> passes = new ArrayList<>();
        private MagnitudeRanks ranks;
        private Selection selection = new Selection.KeepAll();
        private long nonZero;
        private final float[] weights;

        Tensor(TensorContext ctx) {
            this.ctx = ctx;
            this.k = ctx.contributors();
            this.n = ctx.elementCount();
            this.topk = ctx.params().number("select_topk");
            this.weights = new float[k];
            if (topk < 1) {
                passes.add(Pass.COUNT);
                passes.add(Pass.REFINE);
            }
            passes.add(Pass.WEIGHTS);
        }

        /** Population variance across contributors, per element. */
        private void variance(Slice block, float[] out) {
            for (int j = 0; j < block.length(); j++) {
                float mean = 0;
                for (int i = 0; i < k; i++) {
                    mean += block.deltas()[i][j];
                }
                mean /= k;
                float var = 0;
                for (int i = 0; i < k; i++) {
                    float d = block.deltas()[i][j] - mean;
                    var += d * d;
                }
                out[j] = var / k;
            }
        }

        /** Zeroes every contributor's delta where the position was not selected. */
        private void mask(Slice block, Selection.Cursor cursor, float[] scratch) {
            if (selection instanceof Selection.KeepAll) {
                return;
            }
            variance(block, scratch);
            cursor.apply(block, scratch);
            for (int j = 0; j < block.length(); j++) {
                if (scratch[j] == 0) {
                    for (int i = 0; i < k; i++) {
                        block.deltas()[i][j] = 0;
                    }
                }
            }
        }

        @Override
        public int statsPasses() {
            return passes.size();
        }

        private final class Stats implements SliceAccumulator {
            final Pass pass;
            final int[] counts;
            long nonZero;
            MagnitudeRanks.Collector collector;
            MagnitudeRanks.Refinement refinement;
            final double[] squares = new double[k];
            final Selection.Cursor cursor;
            float[] scratch = new float[0];

            Stats(Pass pass, int slice) {
                this.pass = pass;
                this.counts = pass == Pass.COUNT ? new int[MagnitudeRanks.COUNT_LANES * MagnitudeRanks.BUCKETS] : null;
                this.collector = pass == Pass.REFINE ? ranks.collector() : null;
                this.cursor = selection.cursor(slice);
            }

            @Override
            public void accept(Slice block) {
                if (scratch.length < block.length()) {
                    scratch = new float[block.length()];
                }
                switch (pass) {
                    case COUNT -> {
                        variance(block, scratch);
                        MagnitudeRanks.count(counts, scratch, block.length());
                        for (int j = 0; j < block.length(); j++) {
                            nonZero += scratch[j] != 0 ? 1 : 0;
                        }
                    }
                    case REFINE -> {
                        variance(block, scratch);
                        collector.accept(scratch, block.length());
                    }
                    case WEIGHTS -> {
                        mask(block, cursor, scratch);
                        for (int i = 0; i < k; i++) {
                            for (int j = 0; j < block.length(); j++) {
                                double d = block.deltas()[i][j];
                                squares[i] += d * d;
                            }
                        }
                    }
                }
            }

            @Override
            public void finish() {
                if (pass == Pass.REFINE) {
                    refinement = collector.finish();
                }
            }
        }

        @Override
        public SliceAccumulator accumulator(int pass, int slice) {
            return new Stats(passes.get(pass), slice);
        }

        @Override
        public void endPass(int pass, List<SliceAccumulator> slices) {
            switch (passes.get(pass)) {
                case COUNT -> endCount(slices);
                case REFINE -> endRefine(slices);
                case WEIGHTS -> endWeights(slices);
            }
        }

        private void endCount(List<SliceAccumulator> slices) {
            long[] wide = new long[MagnitudeRanks.BUCKETS];
            for (SliceAccumulator s : slices) {
                Stats st = (Stats) s;
                nonZero += st.nonZero;
                for (int c = 0; c < st.counts.length; c++) {
                    wide[c % MagnitudeRanks.BUCKETS] += st.counts[c];
                }
            }
            long keep = (long) (topk * nonZero);
            if (keep == 0) {
                // Nothing selected: skip the refinement (the runner reads statsPasses() before each pass).
                selection = new Selection.KeepNone();
                passes.remove(Pass.REFINE);
                return;
            }
            ranks = new MagnitudeRanks(n, n - keep);
            addCounts(wide);
            ranks.endCount();
        }

        private void addCounts(long[] wide) {
            // Fold in chunks that fit an int, so counts above 2³¹ per bucket stay exact.
            int[] chunk = new int[MagnitudeRanks.BUCKETS];
            boolean more = true;
            while (more) {
                more = false;
                for (int b = 0; b < wide.length; b++) {
                    int take = (int) Math.min(Integer.MAX_VALUE, wide[b]);
                    chunk[b] = take;
                    wide[b] -= take;
                    more |= wide[b] > 0;
                }
                ranks.addCounts(chunk);
            }
        }

        private void endRefine(List<SliceAccumulator> slices) {
            List<MagnitudeRanks.Refinement> refinements = new ArrayList<>();
            for (SliceAccumulator s : slices) {
                refinements.add(((Stats) s).refinement);
            }
            ranks.endRefine(refinements);
            MagnitudeRanks.Threshold t = ranks.threshold(0);
            long keep = (long) (topk * nonZero);
            selection = new Selection.TopK(t, keep - (n - t.below() - t.equal()));
        }

        private void endWeights(List<SliceAccumulator> slices) {
            double[] squares = new double[k];
            for (SliceAccumulator s : slices) {
                for (int i = 0; i < k; i++) {
                    squares[i] += ((Stats) s).squares[i];
                }
            }
            double sum = 0;
            for (int i = 0; i < k; i++) {
                squares[i] /= n;
                sum += squares[i];
            }
            for (int i = 0; i < k; i++) {
                weights[i] = (float) (sum == 0 ? 1.0 / k : squares[i] / sum);
            }
        }

        @Override
        public BlockMerger merger(int slice) {
            Selection.Cursor cursor = selection.cursor(slice);
            float[][] scratch = {new float[0]};
            return (block, out) -> {
                int len = block.length();
                if (scratch[0].length < len) {
                    scratch[0] = new float[len];
                }
                mask(block, cursor, scratch[0]);
                float[][] d = block.deltas();
                for (int j = 0; j < len; j++) {
                    float total = 0;
                    for (int i = 0; i < k; i++) {
                        total += d[i][j];
                    }
                    boolean positive = total >= 0;
                    float mixed = 0;
                    float div = 0;
                    for (int i = 0; i < k; i++) {
                        float v = d[i][j];
                        if (positive ? v > 0 : v < 0) {
                            mixed += v * weights[i];
                            div += weights[i];
                        }
                    }
                    out[j] = block.base()[j] + mixed / (div == 0 ? 1 : div);
                }
            };
        }
    }
}
