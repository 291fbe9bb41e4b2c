package io.fedmerge.hub.round;

import java.time.Instant;
import java.util.Map;

/**
 * A consolidation round.
 *
 * @param parameters top-level mergekit parameters
 * @param modelParameters parameters applied to every contribution (mergekit's per-model parameters)
 * @param publish what the round publishes (model, adapter or both)
 * @param evaluation the sites' evaluation of the merge before it is published, or null for none
 */
public record Round(String id, String baseModelId, String mergeMethod, Map<String, Object> parameters,
        Map<String, Object> modelParameters, int minContributions, Instant deadline, RoundState state,
        String reason, Artifact artifact, Instant createdAt, Instant updatedAt, Publication publish,
        EvaluationPlan evaluation) {

    public Round(String id, String baseModelId, String mergeMethod, Map<String, Object> parameters,
            Map<String, Object> modelParameters, int minContributions, Instant deadline, RoundState state,
            String reason, Artifact artifact, Instant createdAt, Instant updatedAt, Publication publish) {
        this(id, baseModelId, mergeMethod, parameters, modelParameters, minContributions, deadline, state, reason,
                artifact, createdAt, updatedAt, publish, null);
    }
}
