package io.fedmerge.eval.model;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.MappedElements;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.plan.AdapterDelta;
import io.fedmerge.core.plan.DeltaSource;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * A model's weights read from its mapped checkpoint, a block of rows at a time (never a copy of a tensor, let alone of
 * the model), optionally with a PEFT LoRA adapter applied on the fly: each block gets the adapter's ΔW of the same
 * elements added (merge-core's {@link AdapterDelta}, so fan_in_fan_out, rsLoRA and saved modules mean what they mean
 * in a merge).
 */
final class Weights implements AutoCloseable {
    /** Rows are read and multiplied in blocks of about this many elements (256 KB of floats). */
    private static final int BLOCK_ELEMENTS = 1 << 16;

    private final Checkpoint checkpoint;
    private final DeltaSource adapter;
    private final ForkJoinPool pool;
    /** Each tensor mapped once for the model's life (a mapping per block cost a system call pair per read). */
    private final Arena mappings = Arena.ofShared();
    private final Map<String, MappedElements> mapped = new ConcurrentHashMap<>();

    Weights(Checkpoint checkpoint, LoraAdapter adapter, int threads) {
        this.checkpoint = checkpoint;
        this.adapter = adapter == null ? null
                : AdapterDelta.bind("adapter", adapter, checkpoint, null, new ArrayList<>());
        this.pool = new ForkJoinPool(Math.max(1, threads));
    }

    TensorInfo info(String name) {
        TensorInfo t = checkpoint.info(name);
        if (t == null) {
            throw new FedmergeException("the checkpoint has no tensor '" + name + "', which a Llama/Mistral model"
                    + " needs: is it a full model (not a task vector or an adapter)?");
        }
        return t;
    }

    /** Elements [first, first + count) of a tensor, the adapter's ΔW added. */
    void read(String name, long first, int count, float[] dst) {
        mapped.computeIfAbsent(name, n -> checkpoint.mapElements(n, 0, Math.toIntExact(info(n).elementCount()),
                mappings)).decode(Math.toIntExact(first), count, dst);
        if (adapter == null) {
            return;
        }
        float[] delta = new float[count];
        try (Arena arena = Arena.ofConfined()) {
            adapter.map(name, first, count, arena).read(0, count, dst, delta);
        }
        for (int i = 0; i < count; i++) {
            dst[i] += delta[i];
        }
    }

    /** A whole vector (norm weights). */
    float[] vector(String name) {
        TensorInfo t = info(name);
        float[] v = new float[(int) t.elementCount()];
        read(name, 0, v.length, v);
        return v;
    }

    /** Row {@code row} of a matrix (an embedding). */
    float[] row(String name, long row) {
        TensorInfo t = info(name);
        int cols = (int) t.dim(1);
        if (row < 0 || row >= t.dim(0)) {
            throw new FedmergeException("token id " + row + " is outside " + name + " (" + t.dim(0) + " rows): the"
                    + " tokenizer does not match this model");
        }
        float[] v = new float[cols];
        read(name, row * cols, cols, v);
        return v;
    }

    /** y[t] = W·x[t] for every token t, W [rows × cols] streamed in blocks of rows, blocks spread over threads. */
    float[][] project(String name, float[][] x) {
        TensorInfo t = info(name);
        int rows = (int) t.dim(0);
        int cols = (int) t.dim(1);
        if (x.length > 0 && x[0].length != cols) {
            throw new FedmergeException(name + " takes vectors of " + cols + ", not " + x[0].length);
        }
        float[][] y = new float[x.length][rows];
        int blockRows = Math.max(1, BLOCK_ELEMENTS / cols);
        int blocks = (rows + blockRows - 1) / blockRows;
        run(() -> IntStream.range(0, blocks).parallel().forEach(b -> {
            int first = b * blockRows;
            int n = Math.min(blockRows, rows - first);
            float[] w = new float[n * cols];
            read(name, (long) first * cols, n * cols, w);
            for (int r = 0; r < n; r++) {
                for (int tok = 0; tok < x.length; tok++) {
                    y[tok][first + r] = Kernels.dot(w, r * cols, x[tok], cols);
                }
            }
        }));
        return y;
    }

    private void run(Runnable work) {
        try {
            pool.submit(work).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FedmergeException("evaluation interrupted");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        }
    }

    List<String> names() {
        return checkpoint.tensorNames();
    }

    @Override
    public void close() {
        pool.shutdownNow();
        mapped.clear();
        mappings.close();
        if (adapter != null) {
            adapter.close();
        }
    }
}
