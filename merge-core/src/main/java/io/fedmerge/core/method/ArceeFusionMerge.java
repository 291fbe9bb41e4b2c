package io.fedmerge.core.method;

import io.fedmerge.core.config.ConfigException;
import java.util.List;

/**
 * mergekit's {@code arcee_fusion}: keep the one model's change to an element only where it matters. The importance of
 * an element is |θ − θ₀| times the KL divergence between the softmax of its row in θ and in θ₀ (each + 1e-8); the
 * change is kept where the importance reaches median + 1.5·IQR of the tensor's importances (Tukey's outlier fence).
 * The quartiles are exact (two counting passes, {@link ImportanceQuartiles}); mergekit sorts a random sample of a
 * million importances for larger tensors, so the two agree exactly up to a million elements.
 */
public final class ArceeFusionMerge implements MergeMethod {
    private static final double EPS = 1e-8;

    @Override
    public String name() {
        return "arcee_fusion";
    }

    @Override
    public List<ParameterSpec> parameters() {
        return List.of();
    }

    @Override
    public void validate(TensorContext context) {
        if (context.contributors() != 1) {
            throw new ConfigException("arcee_fusion fuses exactly one model into the base, found "
                    + context.contributors());
        }
    }

    @Override
    public TensorMerge forTensor(TensorContext context) {
        long[] shape = context.shape();
        int row = (int) (shape.length == 0 ? 1 : shape[shape.length - 1]);
        return new FusionTensorMerge(context.tensorName(), row, context.elementCount());
    }

    /** Importance of every element of a block (whole rows): |Δ|·KL(softmax(θ row) ‖ softmax(θ₀ row)), in float32. */
    static void importance(Slice block, int row, String tensor, float[] out) {
        if (block.first() % row != 0 || block.length() % row != 0) {
            throw new ConfigException("arcee_fusion needs whole rows of " + tensor + " (" + row + " elements) per"
                    + " block; its rows are too long to stream");
        }
        float[] base = block.base();
        float[] d = block.deltas()[0];
        for (int start = 0; start < block.length(); start += row) {
            float kl = (float) rowKl(base, d, start, row);
            for (int j = start; j < start + row; j++) {
                out[j] = Math.abs(d[j]) * kl;
            }
        }
    }

    /** Σ p·log(p/q) with p = softmax(θ₀ + Δ) + ε and q = softmax(θ₀) + ε over one row, in double. */
    static double rowKl(float[] base, float[] d, int start, int row) {
        double maxP = Double.NEGATIVE_INFINITY;
        double maxQ = Double.NEGATIVE_INFINITY;
        for (int j = start; j < start + row; j++) {
            maxP = Math.max(maxP, base[j] + d[j]);
            maxQ = Math.max(maxQ, base[j]);
        }
        double sumP = 0;
        double sumQ = 0;
        for (int j = start; j < start + row; j++) {
            sumP += Math.exp((base[j] + d[j]) - maxP);
            sumQ += Math.exp(base[j] - maxQ);
        }
        double kl = 0;
        for (int j = start; j < start + row; j++) {
            double p = Math.exp((base[j] + d[j]) - maxP) / sumP + EPS;
            double q = Math.exp(base[j] - maxQ) / sumQ + EPS;
            kl += p * Math.log(p / q);
        }
        return kl;
    }

    private static final class FusionTensorMerge implements TensorMerge {
        private final String tensor;
        private final int row;
        private final ImportanceQuartiles quartiles;
        private float threshold;
        private int passesDone;

        FusionTensorMerge(String tensor, int row, long elements) {
            this.tensor = tensor;
            this.row = row;
            this.quartiles = new ImportanceQuartiles(elements);
        }

        /** Two counting passes pin the quartiles (upper 16 bits, then lower 16 bits in the quartiles' buckets). */
        @Override
        public StatsPass<?> nextPass() {
            if (passesDone == 2) {
                return null;
            }
            int pass = passesDone;
            return StatsPass.of(s -> new ImportanceCounts(pass), slices -> endCounting());
        }

        private final class ImportanceCounts implements SliceAccumulator {
            private final int pass;
            private final int[] counts;
            private float[] values = new float[0];

            ImportanceCounts(int pass) {
                this.pass = pass;
                this.counts = quartiles.newCounts(pass);
            }

            @Override
            public void accept(Slice block) {
                if (values.length < block.length()) {
                    values = new float[block.length()];
                }
                importance(block, row, tensor, values);
                quartiles.count(pass, values, block.length(), counts);
            }

            @Override
            public void finish() {
                quartiles.add(pass, counts);
            }
        }

        private void endCounting() {
            quartiles.endPass(passesDone++);
            if (passesDone == 2) {
                float q1 = quartiles.value(0);
                float median = quartiles.value(1);
                float q3 = quartiles.value(2);
                threshold = median + 1.5f * (q3 - q1);
            }
        }

        @Override
        public BlockMerger merger(int slice) {
            float[][] importance = {new float[0]};
            return (block, out) -> {
                if (importance[0].length < block.length()) {
                    importance[0] = new float[block.length()];
                }
                float[] imp = importance[0];
                importance(block, row, tensor, imp);
                float[] base = block.base();
                float[] d = block.deltas()[0];
                for (int j = 0; j < block.length(); j++) {
                    out[j] = imp[j] >= threshold ? base[j] + d[j] : base[j];
                }
            };
        }
    }
}
