package io.fedmerge.hub.round;

import io.fedmerge.hub.HubException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/** Rounds, invitations and round events in the database. A state change and its event commit together. */
@Repository
public class RoundStore {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final JdbcClient db;
    private final RoundEvents events;

    RoundStore(JdbcClient db, RoundEvents events) {
        this.db = db;
        this.events = events;
    }

    /** @param publish null in rounds created before rounds could publish adapters: they publish the model */
    record MergeConfig(Map<String, Object> parameters, Map<String, Object> modelParameters, Publication publish,
            EvaluationPlan evaluation) {}

    @Transactional
    public void insert(Round r, List<String> invitedNodeIds) {
        db.sql("""
                insert into round(id, base_model_id, merge_method, merge_config, min_contributions, deadline, state,
                    created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(r.id(), r.baseModelId(), r.mergeMethod(),
                        JSON.writeValueAsString(new MergeConfig(r.parameters(), r.modelParameters(), r.publish(),
                                r.evaluation())),
                        r.minContributions(), r.deadline() == null ? null : Timestamp.from(r.deadline()),
                        r.state().name(), Timestamp.from(r.createdAt()), Timestamp.from(r.updatedAt()))
                .update();
        for (String node : invitedNodeIds) {
            db.sql("insert into round_invite(round_id, node_id) values (?, ?)").params(r.id(), node).update();
        }
        event(r.id(), r.state(), null);
    }

    public Optional<Round> find(String id) {
        return db.sql("select * from round where id = ?").param(id).query(RoundStore::row).optional();
    }

    public Round get(String id) {
        return find(id).orElseThrow(() -> HubException.notFound("no round " + id));
    }

    public List<Round> list() {
        return db.sql("select * from round order by created_at").query(RoundStore::row).list();
    }

    public List<Round> inState(RoundState state) {
        return db.sql("select * from round where state = ?").param(state.name()).query(RoundStore::row).list();
    }

    /**
     * Moves a round from {@code from} to {@code to} only if it is still in {@code from} (so two actors cannot both
     * start a merge), records the event in the same transaction, and wakes the watchers once committed.
     */
    @Transactional
    public boolean transition(String id, RoundState from, RoundState to, String reason, Artifact artifact) {
        int n = db.sql("update round set state = ?, reason = ?, artifact = ?, updated_at = ? where id = ? and state = ?")
                .params(to.name(), reason, artifact == null ? null : JSON.writeValueAsString(artifact),
                        Timestamp.from(Instant.now()), id, from.name())
                .update();
        if (n == 1) {
            event(id, to, reason);
        }
        return n == 1;
    }

    private void event(String roundId, RoundState state, String reason) {
        db.sql("insert into round_event(round_id, state, reason, created_at) values (?, ?, ?, ?)")
                .params(roundId, state.name(), reason, Timestamp.from(Instant.now())).update();
    }

    /** Wakes this replica's watchers (called after the transaction that added an event has committed). */
    public void signal() {
        events.signal();
    }

    /**
     * Locks the round's row until the caller's transaction ends and returns its state: the one place commits and
     * the start of a merge serialise, on every replica (a transition's UPDATE takes the same row lock).
     */
    public Optional<RoundState> lockState(String roundId) {
        return db.sql("select state from round where id = ? for update").param(roundId).query(String.class)
                .optional().map(RoundState::valueOf);
    }

    /**
     * OPEN -> MERGING and the merge's inputs (the uploads committed at this instant) in one transaction. A commit
     * either finished before (its row lock released, so it is in the snapshot) or sees MERGING and is refused.
     */
    @Transactional
    public boolean startMerge(String id) {
        if (!transition(id, RoundState.OPEN, RoundState.MERGING, null, null)) {
            return false;
        }
        db.sql("insert into merge_input(round_id, upload_id) select round_id, id from upload where round_id = ?"
                + " and state = 'COMMITTED'").param(id).update();
        return true;
    }

    /**
     * MERGING → EVALUATING with the candidates to score, releasing the merge's lease (the decision takes its own,
     * {@link #claimDecision}); the event is recorded in the same transaction.
     */
    @Transactional
    public boolean startEvaluating(String id, Artifact candidates) {
        int n = db.sql("""
                update round set state = 'EVALUATING', artifact = ?, merge_owner = null, lease_until = null,
                    updated_at = ? where id = ? and state = 'MERGING'""")
                .params(JSON.writeValueAsString(candidates), Timestamp.from(Instant.now()), id).update();
        if (n == 1) {
            event(id, RoundState.EVALUATING, null);
        }
        return n == 1;
    }

    /** Claims the decision of an EVALUATING round for {@code owner} (one replica decides; a dead one's claim lapses). */
    public boolean claimDecision(String roundId, String owner, Instant now, Instant until) {
        return db.sql("""
                update round set merge_owner = ?, lease_until = ?
                where id = ? and state = 'EVALUATING' and (merge_owner is null or lease_until < ?)""")
                .params(owner, Timestamp.from(until), roundId, Timestamp.from(now)).update() == 1;
    }

    /** Gives a decision claim back (the round is not ready to decide yet). */
    public void releaseDecision(String roundId, String owner) {
        db.sql("update round set merge_owner = null, lease_until = null where id = ? and merge_owner = ?")
                .params(roundId, owner).update();
    }

    public boolean invited(String roundId, String nodeId) {
        return invitesEveryNode(roundId) || db.sql("select count(*) from round_invite where round_id = ? and node_id = ?")
                .params(roundId, nodeId).query(Long.class).single() > 0;
    }

    /** Whether a node of {@code site} may take part: the round invites one of them, or invites every node. */
    public boolean openTo(String roundId, String site) {
        return invitesEveryNode(roundId) || db.sql("select count(*) from round_invite i join node n on n.id = i.node_id"
                + " where i.round_id = ? and n.site = ?").params(roundId, site).query(Long.class).single() > 0;
    }

    /** A round with no invitation list is open to every enrolled node. */
    private boolean invitesEveryNode(String roundId) {
        return db.sql("select count(*) from round_invite where round_id = ?").param(roundId).query(Long.class)
                .single() == 0;
    }

    public record Event(long sequence, String roundId, RoundState state, String reason) {}

    public List<Event> eventsAfter(long sequence) {
        return db.sql("select * from round_event where sequence > ? order by sequence").param(sequence)
                .query((rs, n) -> new Event(rs.getLong("sequence"), rs.getString("round_id"),
                        RoundState.valueOf(rs.getString("state")), rs.getString("reason"))).list();
    }

    private static Round row(ResultSet rs, int n) throws SQLException {
        MergeConfig cfg = JSON.readValue(rs.getString("merge_config"), MergeConfig.class);
        String artifact = rs.getString("artifact");
        Timestamp deadline = rs.getTimestamp("deadline");
        return new Round(rs.getString("id"), rs.getString("base_model_id"), rs.getString("merge_method"),
                cfg.parameters() == null ? Map.of() : cfg.parameters(),
                cfg.modelParameters() == null ? Map.of() : cfg.modelParameters(), rs.getInt("min_contributions"),
                deadline == null ? null : deadline.toInstant(), RoundState.valueOf(rs.getString("state")),
                rs.getString("reason"), artifact == null ? null : JSON.readValue(artifact, Artifact.class),
                rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("updated_at").toInstant(),
                cfg.publish() == null ? Publication.MODEL : cfg.publish(), cfg.evaluation());
    }


    /**
     * Claims the merge of a MERGING round for {@code owner} until {@code until}, if nobody holds a live claim (or the
     * owner renews its own). A single conditional update, so among replicas exactly one wins.
     */
    public boolean claimMerge(String roundId, String owner, Instant now, Instant until) {
        return db.sql("""
                update round set merge_owner = ?, lease_until = ?
                where id = ? and state = 'MERGING'
                  and (merge_owner is null or merge_owner = ? or lease_until is null or lease_until < ?)""")
                .params(owner, Timestamp.from(until), roundId, owner, Timestamp.from(now)).update() == 1;
    }

    /** MERGING rounds whose claim is missing or expired: their owner is gone. */
    public List<String> orphanedMerges(Instant now) {
        return db.sql("select id from round where state = 'MERGING' and (lease_until is null or lease_until < ?)")
                .param(Timestamp.from(now)).query(String.class).list();
    }
}
