package io.fedmerge.eval.score;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Accuracy, length-normalised accuracy and their standard errors, worked out by hand. */
class EvalResultTest {
    static ItemScore item(String category, int answer, double... logprobsAndLengths) {
        List<ChoiceScore> choices = new java.util.ArrayList<>();
        for (int i = 0; i < logprobsAndLengths.length; i += 2) {
            choices.add(new ChoiceScore("c" + i, new int[0], new int[0], logprobsAndLengths[i],
                    (int) logprobsAndLengths[i + 1]));
        }
        return new ItemScore("x", category, answer, choices);
    }

    @Test
    void normalisationByCharactersCanChangeThePick() {
        // raw: -4 (1 char) beats -6 (6 chars); per character: -1 beats -4
        ItemScore s = item(null, 1, -4, 1, -6, 6);
        assertThat(s.predicted()).isZero();
        assertThat(s.predictedNorm()).isEqualTo(1);
    }

    @Test
    void meansAndStandardErrorsAsTheHarnessComputesThem() {
        List<ItemScore> items = List.of(item("a", 0, -1, 1, -2, 1), item("a", 1, -1, 1, -2, 1),
                item("b", 0, -1, 1, -2, 1), item("b", 0, -3, 1, -2, 1));
        EvalResult r = EvalResult.of(items);
        assertThat(r.n()).isEqualTo(4);
        assertThat(r.accuracy()).isEqualTo(0.5);
        // values 1,0,1,0: sample sd √(1/3); stderr √(1/3)/2
        assertThat(r.stderr()).isCloseTo(Math.sqrt(1.0 / 3) / 2, offset(1e-12));
        assertThat(r.categories().get("a").accuracy()).isEqualTo(0.5);
        assertThat(r.categories().get("b").n()).isEqualTo(2);
        assertThat(EvalResult.stderr(1, 1)).isZero();
    }
}
