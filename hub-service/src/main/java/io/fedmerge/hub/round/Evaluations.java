package io.fedmerge.hub.round;

import io.fedmerge.core.io.FileHashes;
import io.fedmerge.hub.AuditLog;
import io.fedmerge.hub.HubException;
import io.fedmerge.hub.HubProperties;
import io.fedmerge.hub.metrics.HubMetrics;
import io.fedmerge.hub.node.Node;
import io.fedmerge.hub.storage.BlobStore;
import io.fedmerge.hub.transfer.Upload;
import io.fedmerge.hub.transfer.UploadStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Service;

/**
 * The evaluation stage of a round: sites report counts, and once every contributing site has reported (or the
 * evaluation timeout has passed) one replica decides with the {@link EvaluationGate}: the chosen candidate's files
 * become the round's artifact and the round is PUBLISHED, or it is REJECTED with the scores. An admin may publish a
 * rejected candidate anyway, with a reason that goes to the audit log.
 */
@Service
public class Evaluations {
    private static final Logger LOG = LoggerFactory.getLogger(Evaluations.class);
    private static final int MAX_QUESTIONS = 1_000_000;
    private static final String CARD = "README.md";

    private final RoundStore rounds;
    private final EvaluationReports reports;
    private final UploadStore uploads;
    private final BlobStore blobs;
    private final AuditLog audit;
    private final HubMetrics metrics;
    private final HubProperties properties;
    private final String replica = UUID.randomUUID().toString();

    Evaluations(RoundStore rounds, EvaluationReports reports, UploadStore uploads, BlobStore blobs, AuditLog audit,
            HubMetrics metrics, HubProperties properties) {
        this.rounds = rounds;
        this.reports = reports;
        this.uploads = uploads;
        this.blobs = blobs;
        this.audit = audit;
        this.metrics = metrics;
        this.properties = properties;
    }

    /** Counts a site sent for a candidate (1-based) or its reference (0). */
    public record Count(int candidate, int n, int correct, int correctNorm) {}

    /** Records a site's report (replacing an earlier one) and decides the round if it was the last awaited. */
    public int report(Node node, String roundId, List<Count> counts, String reference) {
        Round r = rounds.get(roundId);
        if (!rounds.invited(roundId, node.id())) {
            throw HubException.denied("node " + node.name() + " is not part of round " + roundId);
        }
        if (r.state() != RoundState.EVALUATING) {
            throw HubException.precondition("not_evaluating", "round " + roundId + " is " + r.state()
                    + "; it takes evaluation reports only while EVALUATING");
        }
        if (!reference.equals("base") && !reference.equals("installed")) {
            throw HubException.invalid("bad_report", "reference must be base or installed, found '" + reference + "'");
        }
        int candidates = r.artifact().evaluation().candidates().size();
        Map<Integer, EvaluationGate.Score> scores = new java.util.TreeMap<>();
        for (Count c : counts) {
            check(c, candidates, counts.getFirst().n());
            if (scores.put(c.candidate(), new EvaluationGate.Score(c.n(), c.correct(), c.correctNorm())) != null) {
                throw HubException.invalid("bad_report", "candidate " + c.candidate() + " is scored twice");
            }
        }
        if (scores.size() != candidates + 1) {
            throw HubException.invalid("bad_report", "a report scores the reference (0) and every candidate (1.."
                    + candidates + "); this one has " + scores.keySet());
        }
        reports.replace(roundId, node.id(), scores, reference);
        audit.record("node:" + node.id(), "evaluation.report", roundId, candidates + " candidate(s) and the "
                + reference + " on " + counts.getFirst().n() + " questions");
        metrics.evaluationReported();
        decideIfReady(roundId);
        return reports.of(roundId).size();
    }

    private static void check(Count c, int candidates, int n) {
        if (c.candidate() < 0 || c.candidate() > candidates) {
            throw HubException.invalid("bad_report", "candidate " + c.candidate() + " does not exist; the round has "
                    + candidates);
        }
        if (c.n() < 1 || c.n() > MAX_QUESTIONS || c.n() != n) {
            throw HubException.invalid("bad_report", "every model must be scored on the same 1 to " + MAX_QUESTIONS
                    + " questions; candidate " + c.candidate() + " has n = " + c.n() + ", the first " + n);
        }
        if (c.correct() < 0 || c.correct() > c.n() || c.correctNorm() < 0 || c.correctNorm() > c.n()) {
            throw HubException.invalid("bad_report", "candidate " + c.candidate() + ": correct counts must lie in"
                    + " [0, n]");
        }
    }

    /** Every deadline-check-ms: EVALUATING rounds whose timeout passed are decided with the reports they have. */
    @Scheduled(fixedDelayString = "${fedmerge.hub.deadline-check-ms:2000}")
    void checkTimeouts() {
        for (Round r : rounds.inState(RoundState.EVALUATING)) {
            decideIfReady(r.id());
        }
    }

    /** Decides the round once every contributing site reported or the timeout passed; one replica at a time. */
    void decideIfReady(String roundId) {
        Instant now = Instant.now();
        if (!rounds.claimDecision(roundId, replica, now, now.plus(properties.mergeLease()))) {
            return;
        }
        boolean decided = false;
        try {
            Round r = rounds.get(roundId);
            Map<String, Map<Integer, EvaluationGate.Score>> got = reports.of(roundId);
            Set<String> contributors = uploads.mergeInputs(roundId).stream().map(Upload::nodeId)
                    .collect(Collectors.toSet());
            boolean everyone = got.keySet().containsAll(contributors);
            boolean timeUp = now.isAfter(r.updatedAt().plusSeconds(r.evaluation().timeoutSeconds()));
            if (r.state() != RoundState.EVALUATING || (!everyone && !timeUp)) {
                return;
            }
            decided = decide(r, got);
        } finally {
            if (!decided) {
                rounds.releaseDecision(roundId, replica);
            }
        }
    }

    private boolean decide(Round r, Map<String, Map<Integer, EvaluationGate.Score>> got) {
        List<Artifact.Candidate> candidates = r.artifact().evaluation().candidates();
        EvaluationOutcome outcome = EvaluationGate.decide(r.evaluation(),
                candidates.stream().map(Artifact.Candidate::mergeMethod).toList(), got);
        boolean moved;
        if (outcome.chosen() > 0) {
            moved = publish(r, RoundState.EVALUATING, outcome);
        } else {
            moved = rounds.transition(r.id(), RoundState.EVALUATING, RoundState.REJECTED, outcome.reason(),
                    withOutcome(r.artifact(), outcome));
            if (moved) {
                audit.record("hub:" + replica, "round.reject", r.id(), outcome.reason());
            }
        }
        if (moved) {
            metrics.evaluationDecided(outcome.chosen() > 0);
            rounds.signal();
            LOG.info("round={} evaluated by {} sites: {}", r.id(), outcome.sites(), outcome.reason());
        }
        return moved;
    }

    /** Publishes a REJECTED round's candidate anyway: the admin's decision, with the reason in the audit log. */
    public Round publishAnyway(String roundId, int candidate, String reason, String actor) {
        Round r = rounds.get(roundId);
        if (r.state() != RoundState.REJECTED) {
            throw HubException.precondition("not_rejected", "round " + roundId + " is " + r.state() + "; only a"
                    + " REJECTED round's candidate can be published against the gate");
        }
        if (reason == null || reason.isBlank()) {
            throw HubException.invalid("reason_required", "publishing against the evaluation needs a reason (it goes"
                    + " to the audit log)");
        }
        List<Artifact.Candidate> candidates = r.artifact().evaluation().candidates();
        if (candidate < 1 || candidate > candidates.size()) {
            throw HubException.invalid("bad_candidate", "candidate must be 1.." + candidates.size() + ", found "
                    + candidate);
        }
        EvaluationOutcome was = r.artifact().evaluation().outcome();
        EvaluationOutcome chosen = new EvaluationOutcome(was.metric(), was.sites(), was.referenceOverall(),
                was.reference(), was.candidates(), candidate, "published by " + actor + " against the evaluation ("
                + was.reason() + "): " + reason);
        if (!publish(r, RoundState.REJECTED, chosen)) {
            throw HubException.precondition("not_rejected", "round " + roundId + " changed state meanwhile");
        }
        audit.record(actor, "round.publish_override", roundId, "candidate " + candidate + ": " + reason);
        rounds.signal();
        return rounds.get(roundId);
    }

    /** Moves the chosen candidate's files to the round's artifact, then the round to PUBLISHED. */
    private boolean publish(Round r, RoundState from, EvaluationOutcome outcome) {
        Artifact.Candidate c = r.artifact().evaluation().candidates().get(outcome.chosen() - 1);
        List<Artifact.File> files = new ArrayList<>();
        String round = "rounds/" + r.id() + "/";
        String from0 = round + MergeJobs.CANDIDATES + c.index() + "/";
        try {
            for (Artifact.File f : c.files()) {
                if (blobs.size(from0 + f.name()) < 0) {
                    throw HubException.precondition("candidate_gone", "candidate " + c.index() + "'s file "
                            + f.name() + " is no longer stored (deleted by retention?); open a new round");
                }
            }
            for (Artifact.File f : c.files()) {
                try (BlobStore.Staged s = blobs.stage(from0 + f.name())) {
                    if (f.name().equals(CARD)) {
                        files.add(publishCard(s.path(), round + "artifact/" + CARD, outcome));
                        continue;
                    }
                    blobs.put(round + "artifact/" + f.name(), s.path());
                    files.add(f);
                }
            }
            try (BlobStore.Staged s = blobs.stage(round + MergeJobs.CANDIDATES + c.index() + ".yml")) {
                blobs.put(round + "merge.yml", s.path());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot publish candidate " + c.index() + " of round " + r.id(), e);
        }
        Artifact published = new Artifact(files, c.checkpointDigest(), r.artifact().contributions(),
                r.artifact().mergeSeconds(), null, new Artifact.Evaluation(r.artifact().evaluation().candidates(),
                        outcome));
        boolean moved = rounds.transition(r.id(), from, RoundState.PUBLISHED, null, published);
        if (moved) {
            audit.record("hub:" + replica, "round.publish", r.id(), "candidate " + c.index() + " (" + c.mergeMethod()
                    + "), digest " + c.checkpointDigest());
            try {
                blobs.deleteTree(round + MergeJobs.CANDIDATES);
            } catch (IOException e) {
                LOG.warn("round={} the other candidates stay until retention: {}", r.id(), e.getMessage());
            }
        }
        return moved;
    }

    /** The candidate's model card with the sites' verdict added, stored and described as the published file. */
    private Artifact.File publishCard(Path candidateCard, String key, EvaluationOutcome outcome) throws IOException {
        Path card = Files.createTempFile(properties.dataDir(), ".card-", ".md");
        try {
            Files.writeString(card, Files.readString(candidateCard) + FederatedCard.evaluation(outcome));
            Artifact.File described = new Artifact.File(CARD, Files.size(card), FileHashes.sha256(card));
            blobs.put(key, card); // consumes the file
            return described;
        } finally {
            Files.deleteIfExists(card);
        }
    }

    private static Artifact withOutcome(Artifact a, EvaluationOutcome outcome) {
        return new Artifact(a.files(), a.checkpointDigest(), a.contributions(), a.mergeSeconds(), a.adapter(),
                new Artifact.Evaluation(a.evaluation().candidates(), outcome));
    }
}
