package io.fedmerge.hub.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The publish gate on hand-made reports: weighted overall scores, the per-site regression bound, too few sites. */
class EvaluationGateTest {
    static final EvaluationPlan PLAN = new EvaluationPlan(2, "accuracy", 0.05, 60, List.of());

    static EvaluationGate.Score s(int n, int correct) {
        return new EvaluationGate.Score(n, correct, correct);
    }

    @Test
    void theBestCandidateThatMakesNoSiteWorseWinsEvenIfAnotherScoresHigherOverall() {
        // site a (100 questions): ref 0.50, c1 0.90, c2 0.95; site b (10 questions): ref 0.60, c1 0.60, c2 0.40
        Map<String, Map<Integer, EvaluationGate.Score>> reports = Map.of(
                "a", Map.of(0, s(100, 50), 1, s(100, 90), 2, s(100, 95)),
                "b", Map.of(0, s(10, 6), 1, s(10, 6), 2, s(10, 4)));
        EvaluationOutcome o = EvaluationGate.decide(PLAN, List.of("task_arithmetic", "ties"), reports);
        assertThat(o.candidates().get(1).overall()).isCloseTo(99 / 110.0, offset(1e-12));
        assertThat(o.candidates().get(1).passed()).as("site b lost 0.2").isFalse();
        assertThat(o.candidates().get(1).worstRegression()).isCloseTo(0.2, offset(1e-12));
        assertThat(o.candidates().get(0).passed()).isTrue();
        assertThat(o.chosen()).isEqualTo(1);
        assertThat(o.referenceOverall()).isCloseTo(56 / 110.0, offset(1e-12));
        assertThat(o.reason()).contains("candidate 1 (task_arithmetic)");
    }

    @Test
    void noPassingCandidateOrTooFewCompleteReportsPublishNothingAndSayWhy() {
        Map<String, Map<Integer, EvaluationGate.Score>> worse = Map.of(
                "a", Map.of(0, s(20, 15), 1, s(20, 10)), "b", Map.of(0, s(20, 10), 1, s(20, 10)));
        EvaluationOutcome o = EvaluationGate.decide(PLAN, List.of("ties"), worse);
        assertThat(o.chosen()).isZero();
        assertThat(o.reason()).contains("no candidate held the gate").contains("0.250 below");
        // site b's report lacks candidate 1: only one complete report of the two needed
        Map<String, Map<Integer, EvaluationGate.Score>> partial = Map.of(
                "a", Map.of(0, s(20, 10), 1, s(20, 18)), "b", Map.of(0, s(20, 10)));
        EvaluationOutcome p = EvaluationGate.decide(PLAN, List.of("ties"), partial);
        assertThat(p.chosen()).isZero();
        assertThat(p.sites()).isEqualTo(1);
        assertThat(p.reason()).contains("1 of the 2 sites");
    }

    @Test
    void normalisedAccuracyIsUsedWhenThePlanSaysSo() {
        EvaluationPlan norm = new EvaluationPlan(1, "accuracy_norm", 0.0, 60, List.of());
        Map<String, Map<Integer, EvaluationGate.Score>> reports = Map.of("a", Map.of(
                0, new EvaluationGate.Score(10, 9, 2), 1, new EvaluationGate.Score(10, 1, 8)));
        EvaluationOutcome o = EvaluationGate.decide(norm, List.of("linear"), reports);
        assertThat(o.chosen()).as("by accuracy it would lose 0.8").isEqualTo(1);
        assertThat(o.candidates().getFirst().overall()).isCloseTo(0.8, offset(1e-12));
    }
}
