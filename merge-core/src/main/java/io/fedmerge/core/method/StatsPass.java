package io.fedmerge.core.method;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * One statistics pass over a whole tensor before its merge: every visited slice feeds its blocks, in order, to its own
 * accumulator (slices run concurrently), then {@link #end} receives all the accumulators in slice order, on one thread.
 *
 * @param <A> what one slice accumulates
 */
public interface StatsPass<A extends SliceAccumulator> {

    A accumulator(int slice);

    /**
     * The pass reads one block in this many of every slice: the first, then every n-th (1: all of them). A sampling
     * pass spreads its sample over the whole tensor this way, and since every slice takes part it runs on all threads.
     */
    default int blockStride() {
        return 1;
    }

    void end(List<A> slices);

    /** A pass whose slices share one kind of accumulator and whose end folds them. */
    static <A extends SliceAccumulator> StatsPass<A> of(IntFunction<A> perSlice,
            Consumer<List<A>> end) {
        return new StatsPass<>() {
            @Override
            public A accumulator(int slice) {
                return perSlice.apply(slice);
            }

            @Override
            public void end(List<A> slices) {
                end.accept(slices);
            }
        };
    }
}
