package io.fedmerge.core.method;

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
        private final int k;
        private final long n;
        private final double topk;
        private final RankPasses ranks;
        private Selection selection = new Selection.KeepAll();
        private final float[] weights;
        private boolean weighed;

        Tensor(TensorContext ctx) {
            this.k = ctx.contributors();
            this.n = ctx.elementCount();
            this.topk = ctx.params().number("select_topk");
            this.weights = new float[k];
            // top-k among the positions of non-zero variance: the smallest kept one is at rank n - keep
            this.ranks = new RankPasses(n, new boolean[] {topk < 1}, (block, series, scratch) -> {
                variance(block, scratch);
                return scratch;
            }, (series, zeros) -> {
                long keep = (long) (topk * (n - zeros));
                return keep == 0 ? new long[0] : new long[] {n - keep};
            }, true);
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
        public StatsPass<?> nextPass() {
            StatsPass<?> ranking = ranks.nextPass();
            if (ranking != null) {
                return ranking;
            }
            if (topk < 1 && selection instanceof Selection.KeepAll) {
                selection = select();
            }
            if (weighed) {
                return null;
            }
            weighed = true;
            return StatsPass.of(SquaredDeltas::new, this::weigh);
        }

        private Selection select() {
            long[] wanted = ranks.wanted(0);
            if (wanted.length == 0) {
                return new Selection.KeepNone();
            }
            MagnitudeRanks.Threshold t = ranks.threshold(0, 0);
            long keep = n - wanted[0];
            return new Selection.TopK(t, keep - (n - t.below() - t.equal()));
        }

        /** Each contributor's sum of squared deltas over the selected positions. */
        private final class SquaredDeltas implements SliceAccumulator {
            private final double[] squares = new double[k];
            private final Selection.Cursor cursor;
            private float[] scratch = new float[0];

            SquaredDeltas(int slice) {
                this.cursor = selection.cursor(slice);
            }

            @Override
            public void accept(Slice block) {
                if (scratch.length < block.length()) {
                    scratch = new float[block.length()];
                }
                mask(block, cursor, scratch);
                for (int i = 0; i < k; i++) {
                    for (int j = 0; j < block.length(); j++) {
                        double d = block.deltas()[i][j];
                        squares[i] += d * d;
                    }
                }
            }
        }

        private void weigh(List<SquaredDeltas> slices) {
            double[] squares = new double[k];
            for (SquaredDeltas s : slices) {
                for (int i = 0; i < k; i++) {
                    squares[i] += s.squares[i];
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

        /** Elected by the sum of the raw deltas; the agreeing ones averaged by the contributors' weights. */
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
                ConsensusKernel.combine(block.deltas(), weights, weights, len, true, out);
                float[] base = block.base();
                for (int j = 0; j < len; j++) {
                    out[j] = base[j] + out[j];
                }
            };
        }
    }
}
