package io.fedmerge.core.plan;

import io.fedmerge.core.tensor.FloatCodec;
import io.fedmerge.core.io.FileRange;
import java.lang.foreign.Arena;
import java.util.List;

/** One contributor's task vector, read slice by slice and block by block. */
public interface DeltaSource extends AutoCloseable {

    /** Stable contributor name (keys its random streams and appears in messages). */
    String id();

    /** Maps elements [first, first + length) of {@code tensor} for the life of {@code arena}. */
    Mapped map(String tensor, long first, int length, Arena arena);

    /** Where the bytes {@link #map} reads for {@code tensor} are on disk (none if it reads no file). */
    default List<FileRange> fileRanges(String tensor) {
        return List.of();
    }

    /** A mapped slice of a contributor's tensor. */
    interface Mapped {
        /**
         * Fills {@code dst[0, length)} with Δ of the slice's elements [offset, offset + length); {@code base} holds
         * the base values of the same elements (sources that store full weights subtract them).
         */
        void read(int offset, int length, float[] base, float[] dst);

        /** {@link #read}, returning whether every Δ is finite (sources that can check as they read override it). */
        default boolean readFinite(int offset, int length, float[] base, float[] dst) {
            read(offset, length, base, dst);
            return FloatCodec.firstNonFinite(dst, length) < 0;
        }
    }

    @Override
    default void close() {}
}
