package io.fedmerge.core.plan;

/** One contributor's task vector, read slice by slice. */
public interface DeltaSource extends AutoCloseable {

    /** Stable contributor name (keys its random streams and appears in messages). */
    String id();

    /**
     * Fills {@code dst[0, length)} with Δ of elements [first, first + length) of {@code tensor}; {@code base} holds
     * the base values of the same elements (sources that store full weights subtract them).
     */
    void read(String tensor, long first, int length, float[] base, float[] dst);

    @Override
    default void close() {}
}
