package io.fedmerge.core.method;

import io.fedmerge.core.align.Dots;

/**
 * Squared norms and pairwise dot products of K task vectors, in float64, accumulated block by block and added
 * across slices (and across the tensors of a unit) in a fixed order.
 */
final class CosineStats implements SliceAccumulator {
    private final int k;
    private final double[] squares;
    private final double[][] dots;

    CosineStats(int k) {
        this.k = k;
        this.squares = new double[k];
        this.dots = new double[k][k];
    }

    @Override
    public void accept(Slice block) {
        float[][] d = block.deltas();
        int len = block.length();
        for (int i = 0; i < k; i++) {
            squares[i] += Dots.dot(d[i], d[i], len);
            for (int j = i + 1; j < k; j++) {
                dots[i][j] += Dots.dot(d[i], d[j], len);
            }
        }
    }

    void add(CosineStats other) {
        for (int i = 0; i < k; i++) {
            squares[i] += other.squares[i];
            for (int j = i + 1; j < k; j++) {
                dots[i][j] += other.dots[i][j];
            }
        }
    }

    /** Mean of the clamped pairwise cosines over pairs of non-zero vectors; 1 when there is no such pair. */
    double meanCosine() {
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < k; i++) {
            for (int j = i + 1; j < k; j++) {
                double ni = Math.sqrt(squares[i]);
                double nj = Math.sqrt(squares[j]);
                if (ni > 0 && nj > 0) {
                    sum += Math.max(-1, Math.min(1, dots[i][j] / (ni * nj)));
                    pairs++;
                }
            }
        }
        return pairs == 0 ? 1 : sum / pairs;
    }
}
