package io.fedmerge.core.method;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.tensor.CounterRng;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The branch-free DELLA keep loop (integer thresholds per rank, element order) decides exactly as the definition:
 * sort the row, then keep rank r iff u &lt; p_r, dividing by p_r when asked. Bit-for-bit, ties included.
 */
class DellaKeepTest {

    /** The definition, element by element in rank order. */
    private static void reference(CounterRng rng, double density, double epsilon, int m, boolean divide,
            long firstFlat, float[] delta, int start) {
        long[] keys = new long[m];
        for (int j = 0; j < m; j++) {
            keys[j] = ((long) (Float.floatToRawIntBits(delta[start + j]) & 0x7FFFFFFF) << 32) | j;
        }
        Arrays.sort(keys);
        double low = density - epsilon;
        double step = m == 1 ? 0 : 2 * epsilon / (m - 1);
        for (int rank = 0; rank < m; rank++) {
            int j = (int) keys[rank];
            double p = m == 1 ? density : low + step * rank;
            if (!(rng.uniform(firstFlat + j) < p)) {
                delta[start + j] = 0f;
            } else if (divide) {
                delta[start + j] = (float) (delta[start + j] / p);
            }
        }
    }

    /** Rows that take each of MagPruneRow's ways: exact buckets, bounds, counting, ranking the row, the fallback. */
    private enum Row {
        /** Few magnitudes, both signs, and zeros: ties must fall back to index order. */
        FEW_VALUES,
        /** Differences of BF16 values, as checkpoints give: one magnitude per bucket, nearly always. */
        BF16_DIFFERENCES,
        /** Continuous magnitudes: bucket bounds, a draw between them now and then, ranked by counting. */
        GAUSSIAN,
        /** Thousands of distinct magnitudes within one bucket's range: too many undecided, the row is ranked. */
        CLUSTERED,
        /** Magnitudes over 60 binades: most fall below the bucket window and share one bucket. */
        WIDE;

        float value(Random random) {
            return switch (this) {
                case FEW_VALUES -> random.nextInt(5) == 0 ? 0f
                        : (random.nextBoolean() ? 1 : -1) * (random.nextInt(9) + 1) * 0.01f;
                case BF16_DIFFERENCES -> {
                    float base = bf16((float) (random.nextGaussian() * 0.02));
                    yield bf16((float) (base + random.nextGaussian() * 0.0005)) - base;
                }
                case GAUSSIAN -> (float) (random.nextGaussian() * 0.001);
                case CLUSTERED -> (random.nextBoolean() ? 1 : -1) * (1f + random.nextInt(1 << 14) * 0x1p-23f);
                case WIDE -> (float) Math.scalb(random.nextDouble(), -random.nextInt(60));
            };
        }

        private static float bf16(float x) {
            int bits = Float.floatToRawIntBits(x);
            return Float.intBitsToFloat(bits + 0x7FFF + (bits >>> 16 & 1) & 0xFFFF0000);
        }
    }

    @Test
    void matchesTheDefinitionBitForBit() {
        Random random = new Random(7);
        for (int m : new int[] {1, 2, 7, 64, 4096, 14336}) {
            for (Row kind : Row.values()) {
                for (boolean divide : new boolean[] {false, true}) {
                    // The last pair: a negative epsilon, so the keep probability falls with the rank.
                    for (double[] de : new double[][] {{0.6, 0.05}, {0.5, 0.5}, {0.9, 0.1}, {0.3, 0.0}, {0.5, -0.2}}) {
                        int rows = Math.max(1, 8192 / m);
                        float[] delta = new float[rows * m];
                        for (int i = 0; i < delta.length; i++) {
                            delta[i] = kind.value(random);
                        }
                        check(m, kind + " divide=" + divide + " d=" + Arrays.toString(de), de[0], de[1], divide,
                                rows, delta);
                    }
                }
            }
        }
    }

    private static void check(int m, String what, double density, double epsilon, boolean divide, int rows,
            float[] delta) {
        float[] expected = delta.clone();
        CounterRng rng = CounterRng.forTensor(3, "model.layers.0.mlp.up_proj.weight", "hospital-" + m);
        long first = 1_000_000L * m;
        for (int r = 0; r < rows; r++) {
            reference(rng, density, epsilon, m, divide, first + (long) r * m, expected, r * m);
        }
        new Selection.DellaKeep(rng, density, epsilon, m, divide)
                .apply(new Slice(0, first, delta.length, new float[delta.length], new float[][] {delta}), delta);
        for (int i = 0; i < delta.length; i++) {
            assertThat(Float.floatToRawIntBits(delta[i])).as("m=%d %s i=%d", m, what, i)
                    .isEqualTo(Float.floatToRawIntBits(expected[i]));
        }
    }

    /**
     * Remembered DELLA (the L1 pass, then the merge): per slice the first cursor decides and records, the second
     * replays; both must zero exactly what DELLA zeroes, block after block, signed zeros included, in any slice
     * order.
     */
    @ParameterizedTest(name = "row length {0}")
    @ValueSource(ints = {64, 48}) // 48: blocks of 192 elements do not start on 64-bit words
    void aRememberedSelectionReplaysExactlyWhatItDecided(int m) {
        int block = 4 * m;
        int sliceLength = 4 * block;
        Random random = new Random(11);
        float[] delta = new float[3 * sliceLength];
        for (int i = 0; i < delta.length; i++) {
            int pick = random.nextInt(6);
            delta[i] = pick == 0 ? 0f : pick == 1 ? -0f : (random.nextBoolean() ? 1 : -1) * pick * 0.01f;
        }
        CounterRng rng = CounterRng.forTensor(5, "model.layers.1.self_attn.o_proj.weight", "hospital-2");
        Selection.DellaKeep della = new Selection.DellaKeep(rng, 0.6, 0.05, m, false);
        float[] expected = delta.clone();
        della.apply(new Slice(0, 0, expected.length, new float[expected.length], new float[][] {expected}), expected);

        Selection remembered = new Selection.Remembered(della);
        for (int round = 0; round < 2; round++) { // round 0 records, round 1 replays; slices in a different order
            for (int slice : round == 0 ? new int[] {0, 1, 2} : new int[] {2, 0, 1}) {
                Selection.Cursor cursor = remembered.cursor(slice);
                for (int off = 0; off < sliceLength; off += block) {
                    int first = slice * sliceLength + off;
                    float[] d = Arrays.copyOfRange(delta, first, first + block);
                    cursor.apply(new Slice(slice, first, block, new float[block], new float[][] {d}), d);
                    for (int j = 0; j < block; j++) {
                        assertThat(Float.floatToRawIntBits(d[j])).as("round %d element %d", round, first + j)
                                .isEqualTo(Float.floatToRawIntBits(expected[first + j]));
                    }
                }
            }
        }
        assertThat(((Selection.Remembered) remembered).dropped()).as("every slice's bits released").isEmpty();
    }
}
