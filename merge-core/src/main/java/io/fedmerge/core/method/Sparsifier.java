package io.fedmerge.core.method;

/** The ways mergekit's task-arithmetic family thins a delta before combining it (MERGE_METHODS §3.1). */
public enum Sparsifier {
    /** Keep everything (task_arithmetic). */
    NONE,
    /** Keep the floor(d·n) largest magnitudes (TIES "trim"). */
    MAGNITUDE,
    /** Keep each element with probability d (DARE "drop"). */
    RANDOM,
    /** Drop the largest γ and the smallest 1 − d − γ fractions (Model Breadcrumbs). */
    MAGNITUDE_OUTLIERS,
    /** Keep with probability d ± ε by magnitude rank within each row (DELLA "MagPrune"). */
    DELLA_MAGPRUNE;

    boolean rankBased() {
        return this == MAGNITUDE || this == MAGNITUDE_OUTLIERS;
    }
}
