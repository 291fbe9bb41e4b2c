package io.fedmerge.core.config;

import java.util.List;

/**
 * A parameter as written in a mergekit-style config: a scalar, a gradient over the layer stack, or a list of
 * conditions whose first matching filter wins (MERGE_METHODS §2.6).
 */
public sealed interface ParameterValue {

    /** The value for a tensor, or null when no condition matches (the lookup then falls through). */
    Object evaluate(String tensorName, double t);

    /** A number, boolean or string. */
    record Scalar(Object value) implements ParameterValue {
        @Override
        public Object evaluate(String tensorName, double t) {
            return value;
        }
    }

    /** Values spread evenly over the layer stack, linearly interpolated at position t in [0, 1]. */
    record Gradient(List<Double> points) implements ParameterValue {
        public Gradient {
            points = List.copyOf(points);
        }

        @Override
        public Object evaluate(String tensorName, double t) {
            int m = points.size();
            if (m == 1) {
                return points.getFirst();
            }
            double x = t * (m - 1);
            int i0 = (int) Math.floor(x);
            i0 = Math.max(0, Math.min(m - 1, i0));
            int i1 = Math.min(m - 1, i0 + 1);
            double f = x - i0;
            return (1 - f) * points.get(i0) + f * points.get(i1);
        }
    }

    /** One {@code {filter, value}} entry; a null or "*" filter matches every tensor. */
    record Condition(String filter, ParameterValue value) {
        boolean matches(String tensorName) {
            return filter == null || filter.equals("*") || tensorName.contains(filter);
        }
    }

    /** Conditions tried in order; the first whose filter matches the tensor name gives the value. */
    record Conditional(List<Condition> conditions) implements ParameterValue {
        public Conditional {
            conditions = List.copyOf(conditions);
        }

        @Override
        public Object evaluate(String tensorName, double t) {
            for (Condition c : conditions) {
                if (c.matches(tensorName)) {
                    return c.value().evaluate(tensorName, t);
                }
            }
            return null;
        }
    }
}
