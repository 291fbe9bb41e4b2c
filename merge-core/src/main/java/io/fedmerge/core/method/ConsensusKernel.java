package io.fedmerge.core.method;

import io.fedmerge.core.tensor.FloatCodec;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sign election by sum (MERGE_METHODS §3.3) and the mean of the agreeing entries, for one block, as TIES and SCE use
 * it: per element, elect the sign of the sum of the entries (a zero sum elects +), keep the entries of that sign (a
 * zero entry never matches), sum them each times its contributor's factor and, with {@code normalize}, divide by the
 * sum of the agreeing contributors' weights (a zero divisor becomes 1). TIES passes deltas already weighted (factors
 * null, i.e. 1); SCE elects on the raw deltas and passes its weights as factors. With random signs the scalar loop
 * mispredicts half its branches, so the SIMD twin uses lane masks instead; both sum in contributor order and give
 * identical bits.
 */
final class ConsensusKernel {
    private ConsensusKernel() {}

    /**
     * @param values entries per contributor; the election sums these
     * @param factors what each contributor's agreeing entries are multiplied by, or null for 1
     * @param weights what each agreeing contributor adds to the divisor
     */
    static void combine(float[][] values, float[] factors, float[] weights, int len, boolean normalize, float[] out) {
        int done = FloatCodec.simdEnabled() ? Simd.combine(values, factors, weights, len, normalize, out) : 0;
        combineScalar(values, factors, weights, done, len, normalize, out);
    }

    static void combineScalar(float[][] values, float[] factors, float[] weights, int from, int len,
            boolean normalize, float[] out) {
        int k = values.length;
        for (int j = from; j < len; j++) {
            float total = 0;
            for (int i = 0; i < k; i++) {
                total += values[i][j];
            }
            boolean positive = total >= 0;
            float mixed = 0;
            float div = 0;
            for (int i = 0; i < k; i++) {
                float v = values[i][j];
                if (positive ? v > 0 : v < 0) {
                    mixed += factors == null ? v : v * factors[i];
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

        static int combine(float[][] values, float[] factors, float[] weights, int len, boolean normalize,
                float[] out) {
            int k = values.length;
            int lanes = F.length();
            int j = 0;
            for (; j + lanes <= len; j += lanes) {
                FloatVector total = FloatVector.zero(F);
                for (int i = 0; i < k; i++) {
                    total = total.add(FloatVector.fromArray(F, values[i], j));
                }
                VectorMask<Float> negative = total.compare(VectorOperators.LT, 0f);
                FloatVector mixed = FloatVector.zero(F);
                FloatVector div = FloatVector.zero(F);
                for (int i = 0; i < k; i++) {
                    FloatVector v = FloatVector.fromArray(F, values[i], j);
                    VectorMask<Float> agree = v.compare(VectorOperators.GT, 0f).andNot(negative)
                            .or(v.compare(VectorOperators.LT, 0f).and(negative));
                    mixed = mixed.add(factors == null ? v : v.mul(factors[i]), agree);
                    div = div.add(FloatVector.broadcast(F, weights[i]), agree);
                }
                div = div.blend(1f, div.compare(VectorOperators.EQ, 0f));
                (normalize ? mixed.div(div) : mixed).intoArray(out, j);
            }
            return j;
        }
    }
}
