package io.fedmerge.core.method;

import io.fedmerge.core.align.AttentionLayout;
import io.fedmerge.core.align.RowMatrix;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * What a method's whole-model preparation (alignment, statistics over groups of tensors) may see and do before the
 * merge pass. Everything streams: rows are decoded on demand and tensors are read slice by slice.
 */
public interface ModelView {
    List<String> tensorNames();

    long[] shape(String tensor);

    List<String> contributorIds();

    TensorParameters parameters(String tensor);

    /** Head geometry from the base's config.json, or null when it does not say. */
    AttentionLayout attention();

    /** Rows of the base tensor, mapped for the life of {@code arena}. */
    RowMatrix baseRows(String tensor, Arena arena);

    /** Rows of a contributor's full weights θ₀ + Δᵢ (before any permutation). */
    RowMatrix modelRows(int contributor, String tensor, Arena arena);

    /** From now on, the contributor's delta for this tensor is read through the permutation. */
    void permute(int contributor, String tensor, TensorPermutation permutation);

    /** Streams (base, deltas as permuted so far) of a tensor through one accumulator per slice, in slice order. */
    <A extends SliceAccumulator> List<A> accumulate(String tensor, IntFunction<A> perSlice);

    Consumer<String> warnings();

    Consumer<UnitReport> report();
}
