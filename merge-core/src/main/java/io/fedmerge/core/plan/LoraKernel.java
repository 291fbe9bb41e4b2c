package io.fedmerge.core.plan;

import io.fedmerge.core.tensor.FloatCodec;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * dst[j] += Σₖ coefficient[k]·factor[k·stride + j]: one output row segment of a LoRA product B·A. The sum runs in a
 * register, k in order, one fused multiply-add per term, so dst is read and written once per row instead of once per
 * rank (the loop over k outside was what a merge of adapters spent its time on). The SIMD twin and the scalar one
 * round identically (both fuse every term, same order): results do not depend on the vector width.
 */
final class LoraKernel {
    private LoraKernel() {}

    /**
     * @param coefficients {@code r} values starting at {@code coefficientAt}
     * @param factor row-major {@code r × stride}; the segment's columns start at {@code column}
     */
    static void addRowProduct(float[] coefficients, int coefficientAt, int r, float[] factor, int stride, int column,
            float[] dst, int dstAt, int length) {
        int j = FloatCodec.simdEnabled()
                ? Simd.addRowProduct(coefficients, coefficientAt, r, factor, stride, column, dst, dstAt, length)
                : 0;
        addScalar(coefficients, coefficientAt, r, factor, stride, column, dst, dstAt, j, length);
    }

    /** The scalar twin, for elements [from, length) of the segment. */
    static void addScalar(float[] coefficients, int coefficientAt, int r, float[] factor, int stride, int column,
            float[] dst, int dstAt, int from, int length) {
        for (int j = from; j < length; j++) {
            float acc = dst[dstAt + j];
            for (int k = 0; k < r; k++) {
                acc = Math.fma(coefficients[coefficientAt + k], factor[k * stride + column + j], acc);
            }
            dst[dstAt + j] = acc;
        }
    }

    static final class Simd {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

        private Simd() {}

        /** Whole vectors only; returns how many leading elements it did. */
        static int addRowProduct(float[] coefficients, int coefficientAt, int r, float[] factor, int stride,
                int column, float[] dst, int dstAt, int length) {
            int lanes = F.length();
            int j = 0;
            for (; j + lanes <= length; j += lanes) {
                FloatVector acc = FloatVector.fromArray(F, dst, dstAt + j);
                int at = column + j;
                for (int k = 0; k < r; k++, at += stride) {
                    acc = FloatVector.fromArray(F, factor, at)
                            .fma(FloatVector.broadcast(F, coefficients[coefficientAt + k]), acc);
                }
                acc.intoArray(dst, dstAt + j);
            }
            return j;
        }
    }
}
