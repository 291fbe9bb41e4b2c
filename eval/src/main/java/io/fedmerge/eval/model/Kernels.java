package io.fedmerge.eval.model;

import io.fedmerge.core.tensor.FloatCodec;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The dot product the forward pass spends its time in: a Vector API kernel with two accumulators, and its scalar
 * twin (-Dfedmerge.simd=false, the reference the tests compare it with). They sum in different orders, so they agree
 * to float round-off, not bit for bit.
 */
final class Kernels {
    private Kernels() {}

    /** Σ a[aAt + i]·b[i] for i in [0, n). */
    static float dot(float[] a, int aAt, float[] b, int n) {
        if (!FloatCodec.simdEnabled()) {
            return dotScalar(a, aAt, b, 0, n);
        }
        int covered = Simd.covered(n);
        return Simd.dot(a, aAt, b, covered) + dotScalar(a, aAt, b, covered, n);
    }

    static float dotScalar(float[] a, int aAt, float[] b, int from, int n) {
        float s = 0f;
        for (int i = from; i < n; i++) {
            s += a[aAt + i] * b[i];
        }
        return s;
    }

    static final class Simd {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

        private Simd() {}

        /** How many leading elements {@link #dot} covers: whole pairs of vectors. */
        static int covered(int n) {
            int step = 2 * F.length();
            return n / step * step;
        }

        static float dot(float[] a, int aAt, float[] b, int covered) {
            int lanes = F.length();
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = FloatVector.zero(F);
            for (int i = 0; i < covered; i += 2 * lanes) {
                s0 = FloatVector.fromArray(F, a, aAt + i).fma(FloatVector.fromArray(F, b, i), s0);
                s1 = FloatVector.fromArray(F, a, aAt + i + lanes).fma(FloatVector.fromArray(F, b, i + lanes), s1);
            }
            return s0.add(s1).reduceLanes(VectorOperators.ADD);
        }
    }
}
