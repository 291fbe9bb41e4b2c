package io.fedmerge.edge;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.FileTrees;
import io.fedmerge.eval.data.McqFormat;
import io.fedmerge.eval.score.EvalResult;
import io.fedmerge.eval.score.Evaluation;
import io.fedmerge.proto.v1.CandidateScore;
import io.fedmerge.proto.v1.EvaluationReport;
import io.fedmerge.proto.v1.Round;
import io.fedmerge.proto.v1.RoundState;
import io.fedmerge.proto.v1.Score;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * This site's part in a round's evaluation: score its reference model and every candidate on its private questions,
 * here, and send the hub the counts — never a question, an answer or a per-item result. Each candidate is
 * downloaded (and verified) into the work directory, scored, and deleted before the next, so the disk holds one
 * model beside the reference.
 *
 * @param reference the model this site runs now (the base, or the consolidated model it installed)
 * @param referenceKind "base" or "installed"
 */
public record SiteEvaluation(Path data, McqFormat format, int limit, Path reference, String referenceKind,
        int threads) {

    public EvaluationReport evaluate(HubClient hub, String roundId, Path workDir, PrintStream log) {
        Round r = hub.round(roundId);
        if (r.getState() != RoundState.ROUND_EVALUATING || r.getCandidates() == 0) {
            throw new FedmergeException("round " + roundId + " is " + r.getState() + " with " + r.getCandidates()
                    + " candidates: nothing to evaluate");
        }
        EvaluationReport.Builder report = EvaluationReport.newBuilder().setRoundId(roundId)
                .setReference(referenceKind);
        EvalResult ref = score(reference);
        log.printf("round %s: reference (%s) %s %.3f on %d questions%n", roundId, referenceKind, r
                .getEvaluationMetric(), metric(ref, r.getEvaluationMetric()), ref.n());
        report.addScores(scored(0, ref));
        Path dir = workDir.resolve("eval-" + roundId);
        for (int k = 1; k <= r.getCandidates(); k++) {
            Path candidate = dir.resolve("candidate-" + k);
            FileTrees.deleteRecursively(candidate);
            try {
                new ModelInstaller().install(hub, roundId, k, candidate, n -> { });
                EvalResult s = score(candidate);
                log.printf("round %s: candidate %d %s %.3f%n", roundId, k, r.getEvaluationMetric(),
                        metric(s, r.getEvaluationMetric()));
                report.addScores(scored(k, s));
            } finally {
                FileTrees.deleteRecursively(candidate);
            }
        }
        FileTrees.deleteRecursively(dir);
        EvaluationReport built = report.build();
        int sites = hub.reportEvaluation(built);
        log.printf("round %s: scores sent (%d site(s) have reported)%n", roundId, sites);
        return built;
    }

    private EvalResult score(Path model) {
        return Evaluation.run(new Evaluation.Request(model, null, data, format, limit, threads, false), (d, t) -> { })
                .result();
    }

    private static double metric(EvalResult e, String name) {
        return name.equals("accuracy_norm") ? e.accuracyNorm() : e.accuracy();
    }

    private static CandidateScore scored(int candidate, EvalResult e) {
        return CandidateScore.newBuilder().setCandidate(candidate).setScore(Score.newBuilder().setN(e.n())
                .setCorrect(e.correct()).setCorrectNorm(e.correctNorm())).build();
    }
}
