package io.fedmerge.core.method;

import java.util.Map;

/** Parameters resolved for one tensor: per-model numbers (in contributor order) and global values. */
public record TensorParameters(Map<String, double[]> perModel, Map<String, Object> global) {
    public TensorParameters {
        perModel = Map.copyOf(perModel);
        global = Map.copyOf(global);
    }

    public double[] perModel(String name) {
        double[] v = perModel.get(name);
        if (v == null) {
            throw new IllegalArgumentException("parameter not declared by the method: " + name);
        }
        return v.clone();
    }

    /** The merge's {@code random_seed} for this tensor, or {@code fallback} for methods that take none. */
    public long seed(long fallback) {
        return global.get("random_seed") instanceof Double d ? d.longValue() : fallback;
    }

    public double number(String name) {
        return ((Number) require(name)).doubleValue();
    }

    public boolean flag(String name) {
        return (Boolean) require(name);
    }

    public String string(String name) {
        return (String) require(name);
    }

    private Object require(String name) {
        Object v = global.get(name);
        if (v == null) {
            throw new IllegalArgumentException("parameter not declared by the method: " + name);
        }
        return v;
    }
}
