package io.fedmerge.core.method;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** SIMD method kernels against their scalar twins on random data with ragged lengths. */
class KernelTwinsTest {
    private final SplittableRandom rnd = new SplittableRandom(3);

    private float quantized() {
        // Few distinct values, many exact zeros and exact cancellations: the hard cases for sign election and ties.
        return rnd.nextInt(-4, 5) * 0.25f;
    }

    @Test
    void consensusMatchesScalarBitForBit() {
        for (int k = 1; k <= 4; k++) {
            for (int len : new int[] {1, 15, 16, 33, 257}) {
                float[][] w = new float[k][len];
                float[] weights = new float[k];
                for (int i = 0; i < k; i++) {
                    weights[i] = i == 1 ? -0.3f : 0.5f;
                    for (int j = 0; j < len; j++) {
                        w[i][j] = quantized();
                    }
                }
                for (float[] factors : new float[][] {null, weights}) { // TIES' form, then SCE's
                    for (boolean normalize : new boolean[] {true, false}) {
                        float[] simd = new float[len];
                        float[] scalar = new float[len];
                        int done = ConsensusKernel.Simd.combine(w, factors, weights, len, normalize, simd);
                        ConsensusKernel.combineScalar(w, factors, weights, done, len, normalize, simd);
                        ConsensusKernel.combineScalar(w, factors, weights, 0, len, normalize, scalar);
                        for (int j = 0; j < len; j++) {
                            assertThat(Float.floatToRawIntBits(simd[j]))
                                    .as("k=%d len=%d j=%d factors=%s", k, len, j, factors != null)
                                    .isEqualTo(Float.floatToRawIntBits(scalar[j]));
                        }
                    }
                }
            }
        }
    }

    @Test
    void topKZeroingMatchesScalarForAnyQuota() {
        int len = 301;
        float[] x = new float[len];
        for (int j = 0; j < len; j++) {
            x[j] = quantized();
        }
        int threshold = Float.floatToRawIntBits(0.5f);
        long ties = 0;
        for (float v : x) {
            ties += Math.abs(v) == 0.5f ? 1 : 0;
        }
        for (long quota = 0; quota <= ties + 1; quota++) {
            float[] scalar = x.clone();
            long seen = 0;
            for (int j = 0; j < len; j++) {
                int bits = Float.floatToRawIntBits(scalar[j]) & 0x7FFFFFFF;
                if (bits < threshold || (bits == threshold && seen++ >= quota)) {
                    scalar[j] = 0f;
                }
            }
            float[] simd = x.clone();
            long[] tie = {0};
            int i = 0;
            while (i < len) {
                i = MagnitudeKernel.Simd.topK(simd, i, len, threshold, tie, quota);
                int end = Math.min(len, i + 64);
                for (; i < end; i++) {
                    int bits = Float.floatToRawIntBits(simd[i]) & 0x7FFFFFFF;
                    if (bits < threshold || (bits == threshold && tie[0]++ >= quota)) {
                        simd[i] = 0f;
                    }
                }
            }
            assertThat(simd).as("quota %d", quota).containsExactly(scalar);
        }
    }

    @Test
    void countBelowABucketMatchesAnElementByElementCount() {
        for (int len : new int[] {0, 1, 15, 16, 17, 257}) {
            float[] x = new float[len];
            for (int j = 0; j < len; j++) {
                x[j] = quantized();
            }
            for (float edge : new float[] {0f, 0.25f, 0.5f, 1f, 2f}) {
                int bucket = (Float.floatToRawIntBits(edge) & 0x7FFFFFFF) >>> 16;
                long expected = 0;
                for (float v : x) {
                    expected += (Float.floatToRawIntBits(v) & 0x7FFFFFFF) >>> 16 < bucket ? 1 : 0;
                }
                assertThat(MagnitudeKernel.countBelow(x, len, bucket)).as("len=%d edge=%s", len, edge)
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void bucketRangeScanFindsTheSameElementsInOrder() {
        float[] x = new float[203];
        for (int j = 0; j < x.length; j++) {
            x[j] = quantized() * (1 + j % 3 * 1e-3f);
        }
        int first = (Float.floatToRawIntBits(0.25f) & 0x7FFFFFFF) >>> 16;
        for (int span : new int[] {1, 3, 200}) {
            List<Integer> simd = new ArrayList<>();
            int done = MagnitudeKernel.Simd.forEachInBuckets(x, x.length, first, span, simd::add);
            for (int i = done; i < x.length; i++) {
                int bits = Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF;
                int offset = (bits >>> 16) - first;
                if (offset >= 0 && offset < span) {
                    simd.add(offset << 16 | (bits & 0xFFFF));
                }
            }
            List<Integer> scalar = new ArrayList<>();
            for (float v : x) {
                int bits = Float.floatToRawIntBits(v) & 0x7FFFFFFF;
                int offset = (bits >>> 16) - first;
                if (offset >= 0 && offset < span) {
                    scalar.add(offset << 16 | (bits & 0xFFFF));
                }
            }
            assertThat(simd).as("span %d", span).isNotEmpty().containsExactlyElementsOf(scalar);
        }
    }

    @Test
    void sparseCopyOfAHistogramFindsEveryNonZeroInOrder() {
        int[] h = new int[3 + 1_000 + 5];
        for (int j = 0; j < h.length; j++) {
            h[j] = rnd.nextInt(10) == 0 ? rnd.nextInt(1, 50) : 0;
        }
        h[3] = 7; // the first and last entries of the range, which need not start or end on a vector
        h[3 + 999] = 9;
        for (int length : new int[] {0, 1, 7, 8, 9, 1_000}) {
            List<Integer> offsets = new ArrayList<>();
            List<Integer> values = new ArrayList<>();
            for (int i = 0; i < length; i++) {
                if (h[3 + i] != 0) {
                    offsets.add(i);
                    values.add(h[3 + i]);
                }
            }
            int distinct = MagnitudeKernel.nonZeros(h, 3, length);
            int[] gotOffsets = new int[distinct];
            int[] gotValues = new int[distinct];
            MagnitudeKernel.compactNonZeros(h, 3, length, gotOffsets, gotValues);
            assertThat(gotOffsets).as("length %d", length).containsExactly(offsets.stream().mapToInt(v -> v).toArray());
            assertThat(gotValues).as("length %d", length).containsExactly(values.stream().mapToInt(v -> v).toArray());
        }
    }
}
