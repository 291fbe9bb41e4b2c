package io.fedmerge.core.taskvector;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The two-pass cut keeps exactly the k largest |x|, ties by flat index, across chunk boundaries. */
class MagnitudeCutTest {
    @Test
    void keepsExactlyKElementsNoSmallerThanAnyDroppedOne() throws IOException {
        Random random = new Random(9);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + random.nextInt(2000);
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                // Few distinct magnitudes, both signs: many ties, some of them split by the cut.
                x[i] = (random.nextBoolean() ? 1 : -1) * (random.nextInt(7) * 0.25f);
            }
            long k = random.nextInt(n + 2);
            int chunk = 1 + random.nextInt(300);
            MagnitudeCut cut = MagnitudeCut.keepLargest(n, k, sink -> {
                for (int first = 0; first < n; first += chunk) {
                    int len = Math.min(chunk, n - first);
                    sink.accept(Arrays.copyOfRange(x, first, first + len), len);
                }
            });
            float[] kept = x.clone();
            long[] ties = {0};
            for (int first = 0; first < n; first += chunk) {
                int len = Math.min(chunk, n - first);
                float[] part = Arrays.copyOfRange(kept, first, first + len);
                cut.apply(part, len, ties);
                System.arraycopy(part, 0, kept, first, len);
            }
            assertThat(reference(x, Math.min(k, n))).as("n=%d k=%d chunk=%d", n, k, chunk).isEqualTo(kept);
        }
    }

    /** Sort indices by |x| descending, then by index ascending; keep the first k. */
    private static float[] reference(float[] x, long k) {
        Integer[] order = new Integer[x.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> {
            int c = Float.compare(Math.abs(x[b]), Math.abs(x[a]));
            return c != 0 ? c : Integer.compare(a, b);
        });
        float[] out = new float[x.length];
        for (int i = 0; i < k; i++) {
            out[order[i]] = x[order[i]];
        }
        return out;
    }
}
