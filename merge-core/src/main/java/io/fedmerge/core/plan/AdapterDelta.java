package io.fedmerge.core.plan;

import io.fedmerge.core.adapter.AdapterLayout;
import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.adapter.LoraModule;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.MappedElements;
import io.fedmerge.core.io.TensorInfo;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The delta of a LoRA adapter applied to the base, computed from its factors for exactly the elements asked for:
 * ΔW[row, col] = s·Σₖ R[row, k]·C[k, col] with R = B, C = A (or R = Aᵀ, C = Bᵀ for transposed storage). A slice
 * needs the rows of R it covers and all of C, r·(rows + cols) floats, never the dense ΔW of the tensor. Saved
 * modules ({@code modules_to_save}) are full weights, so their delta is against the base; every other tensor is
 * unchanged by the adapter (or, in mergekit's {@code MODEL+ADAPTER} form, is the underlying model's delta).
 */
public final class AdapterDelta implements DeltaSource {
    private final String id;
    private final LoraAdapter adapter;
    private final Checkpoint base;
    private final DeltaSource under;

    private AdapterDelta(String id, LoraAdapter adapter, Checkpoint base, DeltaSource under) {
        this.id = id;
        this.adapter = adapter;
        this.base = base;
        this.under = under;
    }

    /**
     * Checks every adapted and saved module against {@code base}'s tensors and returns the delta source.
     *
     * @param under the delta of the model the adapter is applied to when that is not the base, else null
     * @param warnings receives one line per saved embedding whose extra vocabulary rows are dropped
     */
    public static AdapterDelta bind(String id, LoraAdapter adapter, Checkpoint base, DeltaSource under,
            List<String> warnings) {
        List<String> found = new ArrayList<>();
        String mismatch = new AdapterLayout(adapter.modules(), adapter.savedTensors()).mismatch(
                t -> base.contains(t) ? base.info(t).shape() : null, "adapter " + id,
                adapter.config().baseModelNameOrPath(), found);
        if (mismatch != null) {
            throw new IncompatibleModelException(mismatch);
        }
        warnings.addAll(found);
        return new AdapterDelta(id, adapter, base, under);
    }

    @Override
    public String id() {
        return id;
    }

    public LoraAdapter adapter() {
        return adapter;
    }

    /** Whether the adapter applies to the base itself (not mergekit's MODEL+ADAPTER on another model). */
    public boolean onBase() {
        return under == null;
    }

    @Override
    public Mapped map(String tensor, long first, int length, Arena arena) {
        LoraModule m = adapter.modules().get(tensor);
        if (m != null) {
            Mapped model = under == null ? null : under.map(tensor, first, length, arena);
            return lora(m, base.info(tensor).dim(1), first, length, model);
        }
        TensorInfo saved = adapter.savedTensors().get(tensor);
        if (saved != null) {
            MappedElements theta = adapter.map(saved, first, length, arena);
            return (offset, len, b, dst) -> theta.decodeMinusFinite(offset, len, b, dst);
        }
        if (under != null) {
            return under.map(tensor, first, length, arena);
        }
        return (offset, len, b, dst) -> Arrays.fill(dst, 0, len, 0f);
    }

    /** @param model the underlying model's delta, which ΔW is added to, or null for ΔW alone */
    private Mapped lora(LoraModule m, long cols, long first, int length, Mapped model) {
        int r = m.rank();
        long rowFirst = first / cols;
        int rows = (int) ((first + length - 1) / cols - rowFirst + 1);
        float[] rowFactor = new float[rows * r];
        float[] colFactor = new float[(int) (r * cols)];
        if (m.transposed()) {
            transposedFactors(m, rowFirst, rows, (int) cols, rowFactor, colFactor);
        } else {
            read(m, m.b(), rowFirst * r, rows * r, rowFactor);
            read(m, m.a(), 0, colFactor.length, colFactor);
        }
        float s = (float) m.scale();
        for (int i = 0; i < rowFactor.length; i++) {
            rowFactor[i] *= s;
        }
        return (offset, len, b, dst) -> {
            if (model == null) {
                Arrays.fill(dst, 0, len, 0f);
            } else {
                model.read(offset, len, b, dst);
            }
            addProduct(rowFactor, colFactor, r, (int) cols, first + offset - rowFirst * cols, len, dst);
        };
    }

    /** R[row, k] = A[k, rowFirst + row] (a column of A per output row) and C[k, col] = B[col, k]. */
    private void transposedFactors(LoraModule m, long rowFirst, int rows, int cols, float[] rowFactor,
            float[] colFactor) {
        int r = m.rank();
        long aCols = m.a().dim(1);
        float[] column = new float[rows];
        for (int k = 0; k < r; k++) {
            read(m, m.a(), k * aCols + rowFirst, rows, column);
            for (int row = 0; row < rows; row++) {
                rowFactor[row * r + k] = column[row];
            }
        }
        float[] bFull = new float[cols * r];
        read(m, m.b(), 0, bFull.length, bFull);
        for (int col = 0; col < cols; col++) {
            for (int k = 0; k < r; k++) {
                colFactor[k * cols + col] = bFull[col * r + k];
            }
        }
    }

    private void read(LoraModule m, TensorInfo factor, long first, int count, float[] dst) {
        adapter.read(factor, first, count, dst);
        NonFiniteValueException.requireFinite(dst, count, "adapter " + id, factor.name(), first);
    }

    /** dst[i] += ΔW at local element {@code start + i} (counted from the slice's first row), row segment by segment. */
    private static void addProduct(float[] rowFactor, float[] colFactor, int r, int cols, long start, int len,
            float[] dst) {
        int i = 0;
        long e = start;
        while (i < len) {
            int row = (int) (e / cols);
            int col = (int) (e % cols);
            int seg = Math.min(len - i, cols - col);
            LoraKernel.addRowProduct(rowFactor, row * r, r, colFactor, cols, col, dst, i, seg);
            i += seg;
            e += seg;
        }
    }

    @Override
    public void close() {
        adapter.close();
        if (under != null) {
            under.close();
        }
    }
}
