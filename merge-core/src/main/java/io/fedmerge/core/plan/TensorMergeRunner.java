package io.fedmerge.core.plan;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.method.BlockMerger;
import io.fedmerge.core.method.Slice;
import io.fedmerge.core.method.SliceAccumulator;
import io.fedmerge.core.method.StatsPass;
import io.fedmerge.core.method.TensorMerge;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Drives one {@link TensorMerge} over a tensor cut into fixed slices, each cut into cache-sized blocks: every
 * statistics pass, then the merge pass, slices spread over the worker pool. A slice's inputs are opened once per
 * pass; its blocks are read and decoded one at a time into small per-thread buffers, which bounds resident memory and
 * keeps the method's loops in cache. The slicing depends only on the tensor's shape and
 * the configured sizes, never on the number of threads, and statistics are combined in slice order — so the output
 * is bit-identical for any thread count.
 */
public final class TensorMergeRunner {
    /** Default slice: 2 Mi elements (the unit of mapping, parallelism and statistics). */
    public static final int DEFAULT_SLICE_ELEMENTS = 1 << 21;
    /** Default block: 16 Ki elements, 64 KB per float32 buffer. */
    public static final int DEFAULT_BLOCK_ELEMENTS = 1 << 14;

    /** Opens the inputs of elements [first, first + length) for as long as {@code arena} is open. */
    public interface SliceReader {
        SliceInput open(long first, int length, Arena arena);
    }

    /** Decodes a block of a mapped slice: base values and each contributor's delta, checked to be finite. */
    public interface SliceInput {
        void read(int offset, int length, float[] base, float[][] deltas);
    }

    /** Receives the merged values of elements [first, first + length); called concurrently for different slices. */
    public interface SliceWriter {
        void write(long first, float[] values, int length);
    }

    private final ExecutorService pool;
    private final int maxSliceElements;
    private final int blockElements;
    private final ThreadLocal<Buffers> buffers = new ThreadLocal<>();

    private record Buffers(float[] base, float[][] deltas, float[] block, float[] out) {}

    /** @param pool workers, or null to run everything on the calling thread */
    public TensorMergeRunner(ExecutorService pool, int maxSliceElements, int blockElements) {
        if (maxSliceElements <= 0 || blockElements <= 0) {
            throw new IllegalArgumentException("slice and block sizes must be positive");
        }
        this.pool = pool;
        this.maxSliceElements = maxSliceElements;
        this.blockElements = Math.min(blockElements, maxSliceElements);
    }

    public TensorMergeRunner(ExecutorService pool, int maxSliceElements) {
        this(pool, maxSliceElements, DEFAULT_BLOCK_ELEMENTS);
    }

    /** Rows longer than this are cut across slices (row-wise methods refuse such tensors with a clear message). */
    static final int MAX_ROW = 1 << 26;

    /** Whole rows per unit (at least one, if a row is not absurdly long), so row-wise methods see complete rows. */
    static int alignToRows(int limit, long elements, long rowLength) {
        long n = Math.max(1, elements);
        if (rowLength > 0 && rowLength <= limit) {
            return (int) Math.min(n, (limit / rowLength) * rowLength);
        }
        if (rowLength > limit && rowLength <= MAX_ROW) {
            return (int) Math.min(n, rowLength);
        }
        return (int) Math.min(n, limit);
    }

    /** Runs one statistics pass on its own (for whole-model preparations). */
    public void accumulate(StatsPass<?> pass, long elements, long rowLength, int contributors, SliceReader reader) {
        int sliceLength = sliceLength(elements, rowLength);
        int blockLength = blockLength(sliceLength, rowLength);
        int slices = (int) ((elements + sliceLength - 1) / sliceLength);
        runPass(pass, slices, sliceLength, blockLength, elements, contributors, reader);
    }

    public void run(TensorMerge merge, long elements, long rowLength, int contributors, SliceReader reader,
            SliceWriter writer) {
        statistics(merge, elements, rowLength, contributors, reader);
        int sliceLength = sliceLength(elements, rowLength);
        int blockLength = blockLength(sliceLength, rowLength);
        int slices = (int) ((elements + sliceLength - 1) / sliceLength);
        runAll(slices, s -> {
            BlockMerger merger = merge.merger(s);
            long first = (long) s * sliceLength;
            int length = (int) Math.min(sliceLength, elements - first);
            forEachBlock(s, sliceLength, blockLength, 1, elements, contributors, reader, (block, offset) -> {
                Buffers b = buffers.get();
                merger.merge(block, b.block());
                System.arraycopy(b.block(), 0, b.out(), offset, block.length());
            });
            writer.write(first, buffers.get().out(), length);
            return null;
        });
    }

    private int sliceLength(long elements, long rowLength) {
        return alignToRows(maxSliceElements, elements, rowLength);
    }

    private int blockLength(int sliceLength, long rowLength) {
        boolean rowsFit = rowLength > 0 && sliceLength % rowLength == 0;
        return alignToRows(blockElements, sliceLength, rowsFit ? rowLength : 0);
    }

    private void statistics(TensorMerge merge, long elements, long rowLength, int contributors, SliceReader reader) {
        for (StatsPass<?> pass = merge.nextPass(); pass != null; pass = merge.nextPass()) {
            accumulate(pass, elements, rowLength, contributors, reader);
        }
    }

    private <A extends SliceAccumulator> void runPass(StatsPass<A> pass, int slices, int sliceLength, int blockLength,
            long elements, int contributors, SliceReader reader) {
        List<A> stats = runAll(slices, s -> {
            A acc = pass.accumulator(s);
            forEachBlock(s, sliceLength, blockLength, pass.blockStride(), elements, contributors, reader,
                    (block, offset) -> acc.accept(block));
            acc.finish();
            return acc;
        });
        pass.end(stats);
    }

    private interface BlockTask {
        void run(Slice block, int offsetInSlice);
    }

    private void forEachBlock(int slice, int sliceLength, int blockLength, int blockStride, long elements,
            int contributors, SliceReader reader, BlockTask task) {
        Buffers b = buffers(sliceLength, blockLength, contributors);
        long first = (long) slice * sliceLength;
        int length = (int) Math.min(sliceLength, elements - first);
        try (Arena arena = Arena.ofConfined()) {
            SliceInput input = reader.open(first, length, arena);
            for (int offset = 0; offset < length; offset += blockLength * blockStride) {
                int len = Math.min(blockLength, length - offset);
                input.read(offset, len, b.base(), b.deltas());
                task.run(new Slice(slice, first + offset, len, b.base(), b.deltas()), offset);
            }
        }
    }

    private Buffers buffers(int sliceLength, int blockLength, int contributors) {
        Buffers b = buffers.get();
        if (b == null || b.base().length < blockLength || b.out().length < sliceLength
                || b.deltas().length != contributors) {
            b = new Buffers(new float[blockLength], new float[contributors][blockLength], new float[blockLength],
                    new float[sliceLength]);
            buffers.set(b);
        }
        return b;
    }

    private interface SliceTask<T> {
        T run(int slice);
    }

    private <T> List<T> runAll(int slices, SliceTask<T> task) {
        List<T> results = new ArrayList<>(slices);
        if (pool == null || slices == 1) {
            for (int s = 0; s < slices; s++) {
                results.add(task.run(s));
            }
            return results;
        }
        List<Future<T>> futures = new ArrayList<>(slices);
        for (int s = 0; s < slices; s++) {
            int index = s;
            futures.add(pool.submit((Callable<T>) () -> task.run(index)));
        }
        try {
            for (Future<T> f : futures) {
                results.add(f.get());
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            futures.forEach(f -> f.cancel(true));
            throw new FedmergeException("merge interrupted", e);
        } catch (ExecutionException e) {
            futures.forEach(f -> f.cancel(true));
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new FedmergeException("merge worker failed: " + e.getCause(), e.getCause());
        }
    }
}
