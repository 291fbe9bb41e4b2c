package io.fedmerge.hub.round;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

/** The sites' evaluation reports: per round, node and candidate, the counts (never questions or answers). */
@Repository
class EvaluationReports {
    private final JdbcClient db;

    EvaluationReports(JdbcClient db) {
        this.db = db;
    }

    /** Replaces the node's report for the round with {@code scores} (candidate → counts; 0 = its reference). */
    @Transactional
    void replace(String roundId, String nodeId, Map<Integer, EvaluationGate.Score> scores, String reference) {
        db.sql("delete from evaluation_report where round_id = ? and node_id = ?").params(roundId, nodeId).update();
        Timestamp now = Timestamp.from(Instant.now());
        scores.forEach((candidate, s) -> db.sql("""
                insert into evaluation_report(round_id, node_id, candidate, n, correct, correct_norm, reference,
                    reported_at) values (?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(roundId, nodeId, candidate, s.n(), s.correct(), s.correctNorm(), reference, now).update());
    }

    /** Per node, per candidate, the counts reported for the round. */
    Map<String, Map<Integer, EvaluationGate.Score>> of(String roundId) {
        Map<String, Map<Integer, EvaluationGate.Score>> out = new TreeMap<>();
        db.sql("select * from evaluation_report where round_id = ?").param(roundId).query(rs -> {
            out.computeIfAbsent(rs.getString("node_id"), k -> new TreeMap<>()).put(rs.getInt("candidate"),
                    new EvaluationGate.Score(rs.getInt("n"), rs.getInt("correct"), rs.getInt("correct_norm")));
        });
        return out;
    }
}
