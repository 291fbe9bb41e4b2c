package io.fedmerge.core.align;

/** Dot products in float64 with four independent accumulators (for instruction-level parallelism). */
final class Dots {
    private Dots() {}

    static double dot(float[] x, float[] y, int xFrom, int yFrom, int length) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 4 <= length; i += 4) {
            s0 += (double) x[xFrom + i] * y[yFrom + i];
            s1 += (double) x[xFrom + i + 1] * y[yFrom + i + 1];
            s2 += (double) x[xFrom + i + 2] * y[yFrom + i + 2];
            s3 += (double) x[xFrom + i + 3] * y[yFrom + i + 3];
        }
        for (; i < length; i++) {
            s0 += (double) x[xFrom + i] * y[yFrom + i];
        }
        return (s0 + s1) + (s2 + s3);
    }
}
