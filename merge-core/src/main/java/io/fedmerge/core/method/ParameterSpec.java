package io.fedmerge.core.method;

import java.util.List;
import java.util.function.DoublePredicate;

/**
 * A parameter a method accepts: mergekit's name, whether it is set per model or globally, its default (null when
 * required) and the range it must fall in (MERGE_METHODS §2.7).
 */
public record ParameterSpec(String name, Scope scope, Kind kind, Object defaultValue, DoublePredicate range,
        String rangeText, List<String> choices) {

    public enum Scope { PER_MODEL, GLOBAL }

    public enum Kind { NUMBER, BOOLEAN, CHOICE }

    public ParameterSpec {
        choices = List.copyOf(choices);
    }

    public boolean required() {
        return defaultValue == null;
    }

    public static ParameterSpec number(String name, Scope scope, Double defaultValue, DoublePredicate range,
            String rangeText) {
        return new ParameterSpec(name, scope, Kind.NUMBER, defaultValue, range, rangeText, List.of());
    }

    public static ParameterSpec flag(String name, boolean defaultValue) {
        return new ParameterSpec(name, Scope.GLOBAL, Kind.BOOLEAN, defaultValue, v -> true, "true or false",
                List.of());
    }

    public static ParameterSpec choice(String name, String defaultValue, String... choices) {
        return new ParameterSpec(name, Scope.GLOBAL, Kind.CHOICE, defaultValue, v -> true,
                "one of " + String.join(", ", choices), List.of(choices));
    }

    // The parameters shared by mergekit's task-arithmetic family, with fedmerge's ranges.
    public static final ParameterSpec WEIGHT =
            number("weight", Scope.PER_MODEL, null, Double::isFinite, "a finite number");
    public static final ParameterSpec DENSITY =
            number("density", Scope.PER_MODEL, 1.0, d -> d > 0 && d <= 1, "0 < density <= 1");
    public static final ParameterSpec GAMMA =
            number("gamma", Scope.PER_MODEL, 0.01, g -> g >= 0 && g < 1, "0 <= gamma < 1");
    public static final ParameterSpec EPSILON =
            number("epsilon", Scope.PER_MODEL, 0.15, e -> e > 0 && e < 1, "0 < epsilon < 1");
    public static final ParameterSpec LAMBDA =
            number("lambda", Scope.GLOBAL, 1.0, Double::isFinite, "a finite number");
    public static final ParameterSpec RANDOM_SEED = number("random_seed", Scope.GLOBAL, 0.0,
            s -> s == Math.rint(s) && Math.abs(s) <= 9.007199254740992E15, "an integer");
    public static final ParameterSpec INT8_MASK = flag("int8_mask", false);
    public static final ParameterSpec RESCALE_MODE =
            choice("rescale_mode", "l1", "l1", "inverse_density", "inverse_probability");
}
