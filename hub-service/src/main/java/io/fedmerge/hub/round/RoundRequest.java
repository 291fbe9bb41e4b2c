package io.fedmerge.hub.round;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What an admin posts to open a round: the base (by name), a mergekit-style method with its top-level parameters
 * and the per-model parameters every contribution gets, who may contribute, and when to merge.
 *
 * @param invitedNodes node ids or names; empty = every enrolled node
 * @param minContributions contributions needed before a merge may run (default 1)
 * @param deadline when to merge automatically (if at least minContributions arrived), or null
 * @param artifact what to publish: model (default), adapter or both ({@link Publication})
 * @param adapterRank the published adapter's rank, or null for the exact one
 * @param evaluation the sites score the merge (or several candidate merges) before anything is published; null for
 *     none ({@link EvaluationPlan})
 */
public record RoundRequest(String baseModel, String mergeMethod, Map<String, Object> parameters,
        Map<String, Object> modelParameters, List<String> invitedNodes, Integer minContributions, Instant deadline,
        String artifact, Integer adapterRank, EvaluationPlan evaluation) {

    /** A round that publishes the consolidated model. */
    public RoundRequest(String baseModel, String mergeMethod, Map<String, Object> parameters,
            Map<String, Object> modelParameters, List<String> invitedNodes, Integer minContributions,
            Instant deadline) {
        this(baseModel, mergeMethod, parameters, modelParameters, invitedNodes, minContributions, deadline, null, null,
                null);
    }
}
