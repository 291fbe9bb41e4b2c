package io.fedmerge.hub.round;

import io.fedmerge.hub.HubException;
import java.util.List;
import java.util.Map;

/**
 * A round's evaluation stage: after merging, the invited sites score every candidate and their own reference model
 * on their private questions, and the best candidate that made no site worse (by more than {@code maxRegression})
 * is published — or nothing is, and the round is REJECTED with the scores.
 *
 * @param minSites sites that must report for a decision; fewer by the timeout and the round is REJECTED
 * @param metric "accuracy" or "accuracy_norm"
 * @param maxRegression how far below its reference a candidate may score at any one site (0 = not at all)
 * @param timeoutSeconds how long sites have to report, from the start of EVALUATING
 * @param candidates the merges to compare (method and parameters each); the round's own method when empty
 */
public record EvaluationPlan(Integer minSites, String metric, Double maxRegression, Integer timeoutSeconds,
        List<Candidate> candidates) {

    /** One merge of the round's contributions that the sites score. */
    public record Candidate(String mergeMethod, Map<String, Object> parameters, Map<String, Object> modelParameters) {
        public Candidate {
            parameters = parameters == null ? Map.of() : parameters;
            modelParameters = modelParameters == null ? Map.of() : modelParameters;
        }
    }

    public EvaluationPlan {
        candidates = candidates == null ? List.of() : List.copyOf(candidates);
    }

    /** The admin's request with defaults filled in and every value checked; the round's method when no candidates. */
    static EvaluationPlan of(EvaluationPlan req, Candidate roundMethod) {
        int min = req.minSites() == null ? 1 : req.minSites();
        if (min < 1) {
            throw HubException.invalid("bad_evaluation", "evaluation.minSites must be at least 1, found " + min);
        }
        String metric = req.metric() == null ? "accuracy" : req.metric();
        if (!metric.equals("accuracy") && !metric.equals("accuracy_norm")) {
            throw HubException.invalid("bad_evaluation", "evaluation.metric must be accuracy or accuracy_norm,"
                    + " found '" + metric + "'");
        }
        double regression = req.maxRegression() == null ? 0.0 : req.maxRegression();
        if (!(regression >= 0 && regression <= 1)) {
            throw HubException.invalid("bad_evaluation", "evaluation.maxRegression must be between 0 and 1 (a"
                    + " fraction of questions), found " + req.maxRegression());
        }
        int timeout = req.timeoutSeconds() == null ? 3600 : req.timeoutSeconds();
        if (timeout < 1) {
            throw HubException.invalid("bad_evaluation", "evaluation.timeoutSeconds must be positive, found "
                    + timeout);
        }
        List<Candidate> candidates = req.candidates().isEmpty() ? List.of(roundMethod) : req.candidates();
        if (candidates.size() > 8) {
            throw HubException.invalid("bad_evaluation", candidates.size() + " candidates; at most 8 (each is a"
                    + " full merge that every site downloads and scores)");
        }
        return new EvaluationPlan(min, metric, regression, timeout, candidates);
    }
}
