package io.fedmerge.core.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.method.Slice;
import io.fedmerge.core.method.SliceAccumulator;
import io.fedmerge.core.method.StatsPass;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The runner on an in-memory tensor with a thread pool: which blocks a pass sees, in which slices. */
class TensorMergeRunnerTest {
    private static final int SLICE = 100;
    private static final int BLOCK = 10;
    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    /** Records the first element of every block it sees, and the values it was given. */
    private static final class Seen implements SliceAccumulator {
        final List<Long> firsts = new ArrayList<>();
        final List<Float> values = new ArrayList<>();

        @Override
        public void accept(Slice block) {
            firsts.add(block.first());
            for (int j = 0; j < block.length(); j++) {
                values.add(block.deltas()[0][j]);
            }
        }
    }

    @Test
    void aStridedPassSeesEveryNthBlockOfEverySliceIncludingAShortLastOne() {
        long elements = 4 * SLICE + 25; // the last slice holds 25 elements: blocks at 400, 410, 420 (5 long)
        List<List<Seen>> ended = new ArrayList<>();
        StatsPass<Seen> pass = new StatsPass<>() {
            @Override
            public Seen accumulator(int slice) {
                return new Seen();
            }

            @Override
            public int blockStride() {
                return 3;
            }

            @Override
            public void end(List<Seen> slices) {
                ended.add(slices);
            }
        };
        new TensorMergeRunner(pool, SLICE, BLOCK).accumulate(pass, elements, 0, 1, TensorMergeRunnerTest::identity);

        assertThat(ended).hasSize(1);
        List<Seen> slices = ended.getFirst();
        assertThat(slices).hasSize(5);
        for (int s = 0; s < 4; s++) {
            long base = (long) s * SLICE;
            assertThat(slices.get(s).firsts).as("slice %d", s).containsExactly(base, base + 30, base + 60, base + 90);
        }
        assertThat(slices.get(4).firsts).containsExactly(400L);
        assertThat(slices.get(4).values).containsExactly(400f, 401f, 402f, 403f, 404f, 405f, 406f, 407f, 408f,
                409f);
        assertThat(slices.get(1).values.subList(10, 20)).as("the block at 130, decoded at its own position")
                .containsExactly(130f, 131f, 132f, 133f, 134f, 135f, 136f, 137f, 138f, 139f);
    }

    /** A delta equal to each element's flat index; base zero. */
    private static TensorMergeRunner.SliceInput identity(long first, int length, java.lang.foreign.Arena arena) {
        return (offset, len, base, deltas) -> {
            for (int j = 0; j < len; j++) {
                base[j] = 0;
                deltas[0][j] = first + offset + j;
            }
        };
    }
}
