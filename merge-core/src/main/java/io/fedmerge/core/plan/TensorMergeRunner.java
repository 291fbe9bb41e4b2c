package io.fedmerge.core.plan;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.method.Slice;
import io.fedmerge.core.method.TensorMerge;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Drives one {@link TensorMerge} over a tensor cut into fixed slices: every statistics pass, then the merge pass,
 * each pass's slices spread over the worker pool. The slicing depends only on the tensor's shape and the configured
 * slice size, never on the number of threads, and partial results are combined in slice order — so the output is
 * bit-identical for any thread count.
 */
public final class TensorMergeRunner {
    /** Default slice: 2 Mi elements (8 MB per float32 buffer). */
    public static final int DEFAULT_SLICE_ELEMENTS = 1 << 21;

    /** Fills {@code base[0, len)} and {@code deltas[i][0, len)} with elements [first, first + len). */
    public interface SliceReader {
        void read(long first, int length, float[] base, float[][] deltas);
    }

    /** Receives merged values of elements [first, first + len); called concurrently for different slices. */
    public interface SliceWriter {
        void write(long first, float[] values, int length);
    }

    private final ExecutorService pool;
    private final int maxSliceElements;
    private final ThreadLocal<Buffers> buffers = new ThreadLocal<>();

    private record Buffers(float[] base, float[][] deltas, float[] out) {}

    /** @param pool workers, or null to run everything on the calling thread */
    public TensorMergeRunner(ExecutorService pool, int maxSliceElements) {
        if (maxSliceElements <= 0) {
            throw new IllegalArgumentException("slice size must be positive");
        }
        this.pool = pool;
        this.maxSliceElements = maxSliceElements;
    }

    /** Slice length for a tensor: whole rows when a row fits, so row-wise methods see complete rows. */
    public int sliceLength(long elements, long rowLength) {
        if (rowLength > 0 && rowLength <= maxSliceElements) {
            long rows = Math.max(1, maxSliceElements / rowLength);
            return (int) Math.min(elements == 0 ? 1 : elements, rows * rowLength);
        }
        return (int) Math.min(Math.max(1, elements), maxSliceElements);
    }

    public void run(TensorMerge merge, long elements, long rowLength, int contributors, SliceReader reader,
            SliceWriter writer) {
        int sliceLength = sliceLength(elements, rowLength);
        int slices = (int) ((elements + sliceLength - 1) / sliceLength);
        for (int pass = 0; pass < merge.statsPasses(); pass++) {
            int p = pass;
            List<Object> partials = runAll(slices, s -> {
                Slice slice = load(s, sliceLength, elements, contributors, reader);
                return merge.sliceStats(p, slice);
            });
            merge.endPass(pass, partials);
        }
        runAll(slices, s -> {
            Slice slice = load(s, sliceLength, elements, contributors, reader);
            float[] out = buffers.get().out();
            merge.merge(slice, out);
            writer.write(slice.first(), out, slice.length());
            return null;
        });
    }

    private Slice load(int index, int sliceLength, long elements, int contributors, SliceReader reader) {
        Buffers b = buffers.get();
        if (b == null || b.base().length < sliceLength || b.deltas().length != contributors) {
            b = new Buffers(new float[sliceLength], new float[contributors][sliceLength], new float[sliceLength]);
            buffers.set(b);
        }
        long first = (long) index * sliceLength;
        int length = (int) Math.min(sliceLength, elements - first);
        reader.read(first, length, b.base(), b.deltas());
        return new Slice(index, first, length, b.base(), b.deltas());
    }

    private interface SliceTask {
        Object run(int slice);
    }

    private List<Object> runAll(int slices, SliceTask task) {
        List<Object> results = new ArrayList<>(slices);
        if (pool == null || slices == 1) {
            for (int s = 0; s < slices; s++) {
                results.add(task.run(s));
            }
            return results;
        }
        List<Future<Object>> futures = new ArrayList<>(slices);
        for (int s = 0; s < slices; s++) {
            int index = s;
            futures.add(pool.submit((Callable<Object>) () -> task.run(index)));
        }
        try {
            for (Future<Object> f : futures) {
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
            throw new FedmergeException("merge worker failed: " + e.getCause(), e.getCause());
        }
    }
}
