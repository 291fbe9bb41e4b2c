package io.fedmerge.core.method;

import io.fedmerge.core.tensor.FloatCodec;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * TIES "elect" by sum (MERGE_METHODS §3.3), for one block: per element, keep the weighted entries whose sign matches
 * the sign of their sum (a zero sum elects +; a zero entry never matches), then average them by the weights of the
 * agreeing contributors (a zero divisor becomes 1). With random signs the scalar loop mispredicts half its branches,
 * so the SIMD twin uses lane masks instead; both sum in contributor order and give identical bits.
 */
final class ConsensusKernel {
    private ConsensusKernel() {}

    /** @param w weighted deltas per contributor; @param weights the contributors' weights */
    static void combine(float[][] w, float[] weights, int len, boolean normalize, float[] out) {
        int done = FloatCodec.simdEnabled() ? Simd.combine(w, weights, len, normalize, out) : 0;
        combineScalar(w, weights, done, len, normalize, out);
    }

    static void combineScalar(float[][] w, float[] weights, int from, int len, boolean normalize, float[] out) {
        int k = w.length;
        for (int j = from; j < len; j++) {
            float total = 0;
            for (int i = 0; i < k; i++) {
                total += w[i][j];
            }
            boolean positive = total >= 0;
            float mixed = 0;
            float div = 0;
            for (int i = 0; i < k; i++) {
                float v = w[i][j];
                if (positive ? v > 0 : v < 0) {
                    mixed += v;
                    div += weights[i];
                }
            }
            if (div == 0) {
                div = 1f;
            }
            out[j] = normalize ? mixed / div : mixed;
        }
    }

    /** Kept in a nested class so the scalar path never loads the incubator module. */
    static final class Simd {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

        private Simd() {}

        static int combine(float[][] w, float[] weights, int len, boolean normalize, float[] out) {
            int k = w.length;
            int lanes = F.length();
            int j = 0;
            for (; j + lanes <= len; j += lanes) {
                FloatVector total = FloatVector.zero(F);
                for (int i = 0; i < k; i++) {
                    total = total.add(FloatVector.fromArray(F, w[i], j));
                }
                VectorMask<Float> negative = total.compare(VectorOperators.LT, 0f);
                FloatVector mixed = FloatVector.zero(F);
                FloatVector div = FloatVector.zero(F);
                for (int i = 0; i < k; i++) {
                    FloatVector v = FloatVector.fromArray(F, w[i], j);
                    VectorMask<Float> agree = v.compare(VectorOperators.GT, 0f).andNot(negative)
                            .or(v.compare(VectorOperators.LT, 0f).and(negative));
                    mixed = mixed.add(v, agree);
                    div = div.add(FloatVector.broadcast(F, weights[i]), agree);
                }
                div = div.blend(1f, div.compare(VectorOperators.EQ, 0f));
                (normalize ? mixed.div(div) : mixed).intoArray(out, j);
            }
            return j;
        }
    }
}
