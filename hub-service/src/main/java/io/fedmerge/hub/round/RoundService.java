package io.fedmerge.hub.round;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.method.MethodRegistry;
import io.fedmerge.core.plan.ParameterResolver;
import io.fedmerge.hub.AuditLog;
import io.fedmerge.hub.HubException;
import io.fedmerge.hub.model.BaseModel;
import io.fedmerge.hub.model.BaseModelRegistry;
import io.fedmerge.hub.node.Node;
import io.fedmerge.hub.node.NodeRegistry;
import io.fedmerge.hub.storage.BlobStore;
import io.fedmerge.hub.transfer.Upload;
import io.fedmerge.hub.transfer.UploadStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Service;

/** Creates rounds and moves them through their states; merges run in {@link MergeJobs}. */
@Service
public class RoundService {
    private final RoundStore store;
    private final BaseModelRegistry bases;
    private final NodeRegistry nodes;
    private final UploadStore uploads;
    private final MergeJobs jobs;
    private final AuditLog audit;
    private final MethodRegistry methods = new MethodRegistry();

    private final BlobStore blobs;

    RoundService(RoundStore store, BaseModelRegistry bases, NodeRegistry nodes, UploadStore uploads, MergeJobs jobs,
            AuditLog audit, BlobStore blobs) {
        this.blobs = blobs;
        this.store = store;
        this.bases = bases;
        this.nodes = nodes;
        this.uploads = uploads;
        this.jobs = jobs;
        this.audit = audit;
    }

    public Round create(RoundRequest req, String actor) {
        BaseModel base = bases.byName(req.baseModel() == null ? "" : req.baseModel()).orElseThrow(
                () -> HubException.invalid("unknown_base", "no base model named '" + req.baseModel()
                        + "'; register it first (POST /api/v1/base-models)"));
        Map<String, Object> params = req.parameters() == null ? Map.of() : req.parameters();
        Map<String, Object> modelParams = req.modelParameters() == null ? Map.of() : req.modelParameters();
        String method = req.mergeMethod();
        if ((method == null || method.isBlank()) && req.evaluation() != null
                && !req.evaluation().candidates().isEmpty()) {
            method = req.evaluation().candidates().getFirst().mergeMethod();
        }
        validateParameters(method, bases.location(base), params, modelParams);
        EvaluationPlan evaluation = req.evaluation() == null ? null
                : EvaluationPlan.of(req.evaluation(), new EvaluationPlan.Candidate(method, params, modelParams));
        if (evaluation != null) {
            for (EvaluationPlan.Candidate c : evaluation.candidates()) {
                validateParameters(c.mergeMethod(), bases.location(base), c.parameters(), c.modelParameters());
            }
        }
        Instant now = Instant.now();
        if (req.deadline() != null && !req.deadline().isAfter(now)) {
            throw HubException.invalid("past_deadline", "deadline " + req.deadline() + " is not in the future (now "
                    + now + "); give a later one, or none");
        }
        int min = req.minContributions() == null ? 1 : req.minContributions();
        if (min < 1) {
            throw HubException.invalid("bad_round", "min_contributions must be at least 1, found " + min);
        }
        List<String> invited = new ArrayList<>();
        for (String who : req.invitedNodes() == null ? List.<String>of() : req.invitedNodes()) {
            invited.add(resolveNode(who).id());
        }
        Publication publish = Publication.of(req.artifact(), req.adapterRank());
        if (evaluation != null && publish.adapter()) {
            throw HubException.invalid("bad_round", "a round with evaluation publishes the consolidated model; drop"
                    + " artifact: " + req.artifact() + " (sites score full models)");
        }
        Round r = new Round(UUID.randomUUID().toString(), base.id(), method, params, modelParams, min,
                req.deadline(), RoundState.OPEN, null, null, now, now, publish, evaluation);
        store.insert(r, invited);
        store.signal();
        audit.record(actor, "round.create", r.id(), method + " on " + base.name() + (evaluation == null ? ""
                : ", " + evaluation.candidates().size() + " candidate(s) scored by at least " + evaluation.minSites()
                        + " site(s)"));
        return r;
    }

    /** Checks method, parameter names and ranges now, with a placeholder model, so a typo fails at creation. */
    private void validateParameters(String method, Path basePath, Map<String, Object> params,
            Map<String, Object> modelParams) {
        if (method == null || method.isBlank()) {
            throw HubException.invalid("bad_config", "merge_method is required");
        }
        try {
            var config = MergeConfigs.parse(MergeConfigs.yaml(method, basePath, List.of("contribution"), params,
                    modelParams), basePath);
            new ParameterResolver(methods.get(method), config.models(), config.parameters());
        } catch (FedmergeException e) {
            throw HubException.invalid("bad_config", e.getMessage());
        }
    }

    private Node resolveNode(String idOrName) {
        return nodes.nodes().stream().filter(n -> n.id().equals(idOrName) || n.name().equals(idOrName))
                .findFirst().orElseThrow(() -> HubException.invalid("unknown_node", "no enrolled node '"
                        + idOrName + "'"));
    }

    public List<Round> list() {
        return store.list();
    }

    public Round get(String id) {
        return store.get(id);
    }

    /** Whether the nodes of {@code site} take part in the round (are invited, or every node is). */
    public boolean openTo(String id, String site) {
        return store.openTo(id, site);
    }

    /**
     * A contribution as admins see it: the node's pseudonymous id, what it sent and its size.
     *
     * @param adapter whether it is a PEFT LoRA adapter rather than a dense task vector
     */
    public record Contribution(String nodeId, String sha256, long bytes, boolean adapter) {}

    /** The round's committed contributions, oldest first. */
    public List<Contribution> contributionList(String roundId) {
        return uploads.committed(roundId).stream().sorted(java.util.Comparator.comparing(u -> u.createdAt()))
                .map(u -> new Contribution(u.nodeId(), u.sha256(), u.totalBytes(), u.isAdapter())).toList();
    }

    public int contributions(String roundId) {
        return uploads.committed(roundId).size();
    }

    public Round trigger(String id, String actor) {
        Round r = store.get(id);
        if (r.state() != RoundState.OPEN) {
            throw HubException.precondition("not_open", "round " + id + " is " + r.state() + ", not OPEN");
        }
        int have = contributions(id);
        if (have < r.minContributions()) {
            throw HubException.precondition("too_few", "round " + id + " has " + have + " of the "
                    + r.minContributions() + " contributions it needs");
        }
        startMerge(r, actor);
        return store.get(id);
    }

    private void startMerge(Round r, String actor) {
        if (!store.startMerge(r.id())) {
            throw HubException.precondition("not_open", "round " + r.id() + " is no longer OPEN");
        }
        store.signal();
        audit.record(actor, "round.merge", r.id(), contributions(r.id()) + " contributions");
        jobs.submit(r.id());
    }

    /**
     * Merges a FAILED round again from the contributions it snapshotted when it first merged (after, say, disk was
     * freed), so hospitals need not upload again. Refused when it never merged or a contribution is gone.
     */
    public Round retry(String id, String actor) {
        Round r = store.get(id);
        if (r.state() != RoundState.FAILED) {
            throw HubException.precondition("not_failed", "round " + id + " is " + r.state() + "; only a FAILED"
                    + " round can be retried");
        }
        List<Upload> inputs = uploads.mergeInputs(id);
        if (inputs.isEmpty()) {
            throw HubException.precondition("nothing_to_merge", "round " + id + " failed before it merged ("
                    + r.reason() + "); open a new round");
        }
        for (Upload u : inputs) {
            if (storedSize(u.blobKey()) < 0) {
                throw HubException.precondition("contributions_gone", "the contribution of node " + u.nodeId()
                        + " to round " + id + " is no longer stored (deleted by retention?); open a new round");
            }
        }
        if (!store.transition(id, RoundState.FAILED, RoundState.MERGING, null, null)) {
            throw HubException.precondition("changed", "round " + id + " changed state meanwhile; try again");
        }
        store.signal();
        audit.record(actor, "round.retry", id, inputs.size() + " contributions, after: " + r.reason());
        jobs.submit(id);
        return store.get(id);
    }

    private long storedSize(String key) {
        try {
            return blobs.size(key);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot check contribution " + key, e);
        }
    }

    public Round cancel(String id, String reason, String actor) {
        Round r = store.get(id);
        if (r.state().terminal()) {
            throw HubException.precondition("finished", "round " + id + " already " + r.state());
        }
        String why = reason == null || reason.isBlank() ? "cancelled by an admin" : reason;
        if (!store.transition(id, r.state(), RoundState.CANCELLED, why, null)) {
            throw HubException.precondition("changed", "round " + id + " changed state meanwhile; try again");
        }
        store.signal();
        audit.record(actor, "round.cancel", id, why);
        return store.get(id);
    }

    /** Deadlines: merge what arrived if it is enough, otherwise fail the round with the reason. */
    @Scheduled(fixedDelayString = "${fedmerge.hub.deadline-check-ms:2000}")
    void checkDeadlines() {
        Instant now = Instant.now();
        for (Round r : store.inState(RoundState.OPEN)) {
            if (r.deadline() == null || r.deadline().isAfter(now)) {
                continue;
            }
            int have = contributions(r.id());
            if (have >= r.minContributions()) {
                try {
                    startMerge(r, "scheduler");
                } catch (HubException e) {
                    // Someone else (an admin, another replica) moved it first.
                }
            } else if (store.transition(r.id(), RoundState.OPEN, RoundState.FAILED, "deadline passed with " + have
                    + " of " + r.minContributions() + " contributions", null)) {
                store.signal();
                audit.record("scheduler", "round.fail", r.id(), "deadline with too few contributions");
            }
        }
    }
}
