package io.fedmerge.eval.score;

import java.util.List;

/** An item's choices scored, and which one the model picks by log-likelihood and by length-normalised likelihood. */
public record ItemScore(String id, String category, int answer, List<ChoiceScore> choices) {
    /** The choice with the highest log-likelihood (the first on ties). */
    public int predicted() {
        return argmax(false);
    }

    /** The choice with the highest log-likelihood per character of its text. */
    public int predictedNorm() {
        return argmax(true);
    }

    private int argmax(boolean perCharacter) {
        int best = 0;
        for (int i = 1; i < choices.size(); i++) {
            if (value(i, perCharacter) > value(best, perCharacter)) {
                best = i;
            }
        }
        return best;
    }

    private double value(int i, boolean perCharacter) {
        ChoiceScore c = choices.get(i);
        return perCharacter ? c.logprob() / Math.max(1, c.characters()) : c.logprob();
    }
}
