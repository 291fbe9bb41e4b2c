package io.fedmerge.hub.round;

import io.fedmerge.hub.HubProperties;
import io.fedmerge.hub.model.BaseModelRegistry;
import io.fedmerge.hub.node.Node;
import io.fedmerge.hub.security.GrpcErrors;
import io.fedmerge.hub.security.NodeContext;
import io.fedmerge.hub.transfer.UploadStore;
import io.fedmerge.proto.v1.CandidateSummary;
import io.fedmerge.proto.v1.Contribution;
import io.fedmerge.proto.v1.ContributionState;
import io.fedmerge.proto.v1.EvaluationReceipt;
import io.fedmerge.proto.v1.EvaluationReport;
import io.fedmerge.proto.v1.EvaluationSummary;
import io.fedmerge.proto.v1.GetRoundRequest;
import io.fedmerge.proto.v1.RoundEvent;
import io.fedmerge.proto.v1.RoundServiceGrpc;
import io.fedmerge.proto.v1.WatchRoundsRequest;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import org.springframework.stereotype.Service;

/** Round events for a node (replayed from a sequence, then live, with keep-alives) and round details. */
@Service
class RoundGrpcService extends RoundServiceGrpc.RoundServiceImplBase {
    private final RoundStore rounds;
    private final UploadStore uploads;
    private final BaseModelRegistry bases;
    private final HubProperties properties;
    private final RoundEvents events;
    private final Evaluations evaluations;

    RoundGrpcService(RoundStore rounds, UploadStore uploads, BaseModelRegistry bases, HubProperties properties,
            RoundEvents events, Evaluations evaluations) {
        this.evaluations = evaluations;
        this.rounds = rounds;
        this.uploads = uploads;
        this.bases = bases;
        this.properties = properties;
        this.events = events;
    }

    @Override
    public void getRound(GetRoundRequest request, StreamObserver<io.fedmerge.proto.v1.Round> response) {
        try {
            Node node = NodeContext.current();
            Round r = rounds.find(request.getRoundId()).orElseThrow(
                    () -> io.fedmerge.hub.HubException.notFound("no round " + request.getRoundId()));
            boolean invited = rounds.invited(r.id(), node.id());
            if (!invited) {
                throw io.fedmerge.hub.HubException.denied("node " + node.name() + " is not part of round " + r.id());
            }
            var base = bases.require(r.baseModelId());
            var committed = uploads.committed(r.id());
            var b = io.fedmerge.proto.v1.Round.newBuilder().setRoundId(r.id()).setState(proto(r.state()))
                    .setMergeMethod(r.mergeMethod()).setBaseModel(base.name()).setBaseDigest(base.digest())
                    .setDeadlineMs(r.deadline() == null ? 0 : r.deadline().toEpochMilli()).setInvited(true)
                    .setReason(r.reason() == null ? "" : GrpcErrors.redact(r.reason())).setContributions(committed.size())
                    .setMinContributions(r.minContributions());
            if (r.evaluation() != null) {
                b.setEvaluationMetric(r.evaluation().metric());
                Artifact a = r.artifact();
                if (a != null && a.evaluation() != null) {
                    b.setCandidates(a.evaluation().candidates().size());
                    b.setEvaluation(summary(a.evaluation(), node.id()));
                }
            }
            committed.stream().filter(u -> u.nodeId().equals(node.id())).findFirst().ifPresent(u -> b.setContribution(
                    Contribution.newBuilder().setRoundId(r.id()).setNodeId(node.id()).setSha256(u.sha256())
                            .setBytes(u.totalBytes()).setState(ContributionState.CONTRIBUTION_COMMITTED)));
            response.onNext(b.build());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.of(e));
        }
    }

    /** The candidates, and once decided their scores (this node's own beside the overall), for the node's status. */
    private static EvaluationSummary summary(Artifact.Evaluation e, String nodeId) {
        EvaluationSummary.Builder b = EvaluationSummary.newBuilder();
        EvaluationOutcome o = e.outcome();
        for (Artifact.Candidate c : e.candidates()) {
            CandidateSummary.Builder cs = CandidateSummary.newBuilder().setCandidate(c.index())
                    .setMergeMethod(c.mergeMethod());
            if (o != null) {
                EvaluationOutcome.Scored s = o.candidates().get(c.index() - 1);
                cs.setOverall(s.overall()).setPassed(s.passed()).setOwn(s.sites().getOrDefault(nodeId, 0.0));
            }
            b.addCandidates(cs);
        }
        if (o != null) {
            b.setSites(o.sites()).setReferenceOverall(o.referenceOverall()).setChosen(o.chosen());
        }
        return b.build();
    }

    @Override
    public void reportEvaluation(EvaluationReport request, StreamObserver<EvaluationReceipt> response) {
        try {
            List<Evaluations.Count> counts = request.getScoresList().stream().map(c -> new Evaluations.Count(
                    c.getCandidate(), c.getScore().getN(), c.getScore().getCorrect(), c.getScore().getCorrectNorm()))
                    .toList();
            if (counts.isEmpty()) {
                throw io.fedmerge.hub.HubException.invalid("bad_report", "a report needs scores");
            }
            int sites = evaluations.report(NodeContext.current(), request.getRoundId(), counts,
                    request.getReference().isEmpty() ? "base" : request.getReference());
            response.onNext(EvaluationReceipt.newBuilder().setSites(sites).build());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.of(e));
        }
    }

    static io.fedmerge.proto.v1.RoundState proto(RoundState s) {
        return switch (s) {
            case OPEN -> io.fedmerge.proto.v1.RoundState.ROUND_OPEN;
            case MERGING -> io.fedmerge.proto.v1.RoundState.ROUND_MERGING;
            case PUBLISHED -> io.fedmerge.proto.v1.RoundState.ROUND_PUBLISHED;
            case FAILED -> io.fedmerge.proto.v1.RoundState.ROUND_FAILED;
            case CANCELLED -> io.fedmerge.proto.v1.RoundState.ROUND_CANCELLED;
            case EVALUATING -> io.fedmerge.proto.v1.RoundState.ROUND_EVALUATING;
            case REJECTED -> io.fedmerge.proto.v1.RoundState.ROUND_REJECTED;
        };
    }

    /**
     * Runs on the call's own (virtual) thread: replay events after the node's sequence, then wait for new ones,
     * sending a keep-alive when idle, until the node cancels.
     */
    @Override
    public void watchRounds(WatchRoundsRequest request, StreamObserver<RoundEvent> plain) {
        ServerCallStreamObserver<RoundEvent> out = (ServerCallStreamObserver<RoundEvent>) plain;
        Node node = NodeContext.current();
        long after = request.getAfterSequence();
        long keepaliveMs = properties.keepaliveSeconds() * 1000L;
        try {
            while (!out.isCancelled()) {
                java.util.Optional<String> refused = NodeContext.refusalNow();
                if (refused.isPresent()) {
                    // Revoked while watching: the stream ends at the next event or keep-alive, not at reconnect.
                    out.onError(io.grpc.Status.UNAUTHENTICATED.withDescription(refused.get()).asException());
                    return;
                }
                boolean sent = false;
                for (RoundStore.Event e : rounds.eventsAfter(after)) {
                    after = e.sequence();
                    if (rounds.invited(e.roundId(), node.id())) {
                        out.onNext(RoundEvent.newBuilder().setSequence(e.sequence()).setRoundId(e.roundId())
                                .setState(proto(e.state())).setReason(e.reason() == null ? "" : GrpcErrors.redact(e.reason())).build());
                        sent = true;
                    }
                }
                if (!sent) {
                    events.await(keepaliveMs);
                    if (rounds.eventsAfter(after).isEmpty() && !out.isCancelled()) {
                        out.onNext(RoundEvent.newBuilder().setSequence(after).setKeepalive(true).build());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.onError(io.grpc.Status.UNAVAILABLE.withDescription("hub shutting down; reconnect").asException());
        } catch (RuntimeException e) {
            if (!out.isCancelled()) {
                out.onError(GrpcErrors.of(e));
            }
        }
    }
}
