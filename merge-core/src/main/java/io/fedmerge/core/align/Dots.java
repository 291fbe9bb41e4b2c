package io.fedmerge.core.align;

import io.fedmerge.core.tensor.FloatCodec;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * float64 dot products of float arrays: the statistics of the hierarchical method, the Gram-matrix merges and the
 * head-alignment costs all need float64 precision over millions of elements. The vector kernel widens floats to
 * doubles and fuses multiply-adds; the scalar twin uses four accumulators.
 */
public final class Dots {
    private Dots() {}

    public static double dot(float[] x, float[] y, int length) {
        return dot(x, y, 0, 0, length);
    }

    public static double dot(float[] x, float[] y, int xFrom, int yFrom, int length) {
        int head = FloatCodec.simdEnabled() ? Simd.lanes(length) : 0;
        double sum = head > 0 ? Simd.dot(x, y, xFrom, yFrom, head) : 0;
        return sum + scalar(x, y, xFrom + head, yFrom + head, length - head);
    }

    /** Σ|x[i]| over [0, length) in float64 (the L1 norms of DARE/DELLA/TIES rescaling). */
    public static double l1(float[] x, int length) {
        int head = FloatCodec.simdEnabled() ? Simd.lanes(length) : 0;
        double sum = head > 0 ? Simd.l1(x, head) : 0;
        return sum + l1Scalar(x, head, length);
    }

    static double l1Scalar(float[] x, int from, int length) {
        double s0 = 0;
        double s1 = 0;
        int i = from;
        for (; i + 2 <= length; i += 2) {
            s0 += Math.abs(x[i]);
            s1 += Math.abs(x[i + 1]);
        }
        for (; i < length; i++) {
            s0 += Math.abs(x[i]);
        }
        return s0 + s1;
    }

    static double scalar(float[] x, float[] y, int xFrom, int yFrom, int length) {
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

    static final class Simd {
        private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
        private static final VectorSpecies<Float> F =
                VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));

        private Simd() {}

        /** How many leading elements {@link #dot} handles (a multiple of the lane count). */
        static int lanes(int length) {
            return length - length % D.length();
        }

        static double dot(float[] x, float[] y, int xFrom, int yFrom, int length) {
            DoubleVector acc = DoubleVector.zero(D);
            for (int i = 0; i < length; i += D.length()) {
                DoubleVector a = (DoubleVector) FloatVector.fromArray(F, x, xFrom + i)
                        .convertShape(VectorOperators.F2D, D, 0);
                DoubleVector b = (DoubleVector) FloatVector.fromArray(F, y, yFrom + i)
                        .convertShape(VectorOperators.F2D, D, 0);
                acc = a.fma(b, acc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }

        static double l1(float[] x, int length) {
            DoubleVector acc = DoubleVector.zero(D);
            for (int i = 0; i < length; i += D.length()) {
                acc = acc.add((DoubleVector) FloatVector.fromArray(F, x, i).abs()
                        .convertShape(VectorOperators.F2D, D, 0));
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }
    }
}
