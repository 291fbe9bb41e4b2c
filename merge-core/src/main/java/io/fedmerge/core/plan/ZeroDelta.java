package io.fedmerge.core.plan;

import java.lang.foreign.Arena;
import java.util.Arrays;

/** The base listed as a model of its own (linear averages include it): its delta is zero everywhere. */
public record ZeroDelta(String id) implements DeltaSource {
    @Override
    public Mapped map(String tensor, long first, int length, Arena arena) {
        return (offset, len, base, dst) -> Arrays.fill(dst, 0, len, 0f);
    }
}
