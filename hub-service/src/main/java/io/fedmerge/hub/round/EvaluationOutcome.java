package io.fedmerge.hub.round;

import java.util.List;
import java.util.Map;

/**
 * What the sites' scores decided: each candidate's score over all sites (weighted by their questions) and at each
 * site (by pseudonymous node id), whether it held the gate, and which one was published.
 *
 * @param chosen the published candidate, 1-based; 0 when none was
 * @param reason why none was, or how the chosen one won
 */
public record EvaluationOutcome(String metric, int sites, double referenceOverall, Map<String, Double> reference,
        List<Scored> candidates, int chosen, String reason) {

    /** @param worstRegression the most it fell below a site's reference (negative: it beat every reference) */
    public record Scored(int candidate, String mergeMethod, double overall, Map<String, Double> sites,
            double worstRegression, boolean passed) {}

    public EvaluationOutcome {
        reference = Map.copyOf(reference);
        candidates = List.copyOf(candidates);
    }
}
