package io.fedmerge.core.cli;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/** Deliberately naive whole-array versions of the methods: sort-based top-k, element loops, no streaming. */
final class ReferenceMerges {
    private ReferenceMerges() {}

    static float[] weightedAverage(float[] base, float[][] deltas, double[] w) {
        float[] out = new float[base.length];
        double sum = Arrays.stream(w).sum();
        for (int j = 0; j < out.length; j++) {
            double acc = 0;
            for (int i = 0; i < deltas.length; i++) {
                acc += w[i] * deltas[i][j];
            }
            out[j] = (float) (base[j] + acc / sum);
        }
        return out;
    }

    /** In float32 with mergekit's operation order: sign elections near zero depend on that rounding. */
    static float[] ties(float[] base, float[][] deltas, double[] w, double density) {
        int n = base.length;
        int k = (int) Math.floor(density * n);
        float[][] weighted = new float[deltas.length][n];
        for (int i = 0; i < deltas.length; i++) {
            float[] d = deltas[i];
            Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.<Integer>comparingDouble(j -> -Math.abs(d[j])).thenComparingInt(j -> j));
            for (int r = 0; r < k; r++) {
                weighted[i][order[r]] = (float) w[i] * d[order[r]];
            }
        }
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            float total = 0;
            for (float[] row : weighted) {
                total += row[j];
            }
            float mixed = 0;
            float div = 0;
            for (int i = 0; i < deltas.length; i++) {
                float v = weighted[i][j];
                if (total >= 0 ? v > 0 : v < 0) {
                    mixed += v;
                    div += (float) w[i];
                }
            }
            out[j] = base[j] + mixed / (div == 0 ? 1 : div);
        }
        return out;
    }
}
