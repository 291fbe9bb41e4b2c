package io.fedmerge.eval.score;

/**
 * One choice of one item: the tokens the model saw and the summed log-probability of the continuation, enough to
 * re-score it elsewhere.
 *
 * @param characters the length of the choice's text, which {@code accuracy_norm} divides by (as lm-evaluation-harness)
 */
public record ChoiceScore(String label, int[] contextTokens, int[] continuationTokens, double logprob,
        int characters) {}
