package io.fedmerge.core.method;

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
            squares[i] += dot(d[i], d[i], len);
            for (int j = i + 1; j < k; j++) {
                dots[i][j] += dot(d[i], d[j], len);
            }
        }
    }

    static double dot(float[] x, float[] y, int len) {
        int done = io.fedmerge.core.tensor.FloatCodec.simdEnabled() ? Simd.lanes(len) : 0;
        double head = done > 0 ? Simd.dot(x, y, done) : 0;
        return head + dotScalar(x, y, done, len);
    }

    static double dotScalar(float[] x, float[] y, int from, int len) {
        double s0 = 0;
        double s1 = 0;
        int i = from;
        for (; i + 2 <= len; i += 2) {
            s0 += (double) x[i] * y[i];
            s1 += (double) x[i + 1] * y[i + 1];
        }
        for (; i < len; i++) {
            s0 += (double) x[i] * y[i];
        }
        return s0 + s1;
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

    /**
     * float64 dot products eight lanes at a time: floats widened to doubles and fused-multiply-added, so the
     * statistics keep their float64 precision while the pass runs at vector speed.
     */
    static final class Simd {
        private static final jdk.incubator.vector.VectorSpecies<Double> D =
                jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED;
        private static final jdk.incubator.vector.VectorSpecies<Float> F = jdk.incubator.vector.VectorSpecies.of(
                float.class, jdk.incubator.vector.VectorShape.forBitSize(D.vectorBitSize() / 2));

        private Simd() {}

        /** How many leading elements {@link #dot} handles (a multiple of the lane count). */
        static int lanes(int len) {
            return len - len % D.length();
        }

        static double dot(float[] x, float[] y, int len) {
            jdk.incubator.vector.DoubleVector acc = jdk.incubator.vector.DoubleVector.zero(D);
            for (int i = 0; i < len; i += D.length()) {
                var a = (jdk.incubator.vector.DoubleVector) jdk.incubator.vector.FloatVector.fromArray(F, x, i)
                        .convertShape(jdk.incubator.vector.VectorOperators.F2D, D, 0);
                var b = (jdk.incubator.vector.DoubleVector) jdk.incubator.vector.FloatVector.fromArray(F, y, i)
                        .convertShape(jdk.incubator.vector.VectorOperators.F2D, D, 0);
                acc = a.fma(b, acc);
            }
            return acc.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        }
    }
}
