package io.fedmerge.core.method;

import java.util.List;

/**
 * Why a unit (a tensor, or a transformer block) merged the way it did: the hierarchical method's mean pairwise cosine
 * of the aligned task vectors, the interpolation weight it gave, and which contributors had heads moved.
 */
public record UnitReport(String unit, double cosine, double weight, List<String> permuted) {
    public UnitReport {
        permuted = List.copyOf(permuted);
    }
}
