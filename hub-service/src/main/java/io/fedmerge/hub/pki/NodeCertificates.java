package io.fedmerge.hub.pki;

import io.fedmerge.hub.AuditLog;
import io.fedmerge.hub.HubException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The register of issued client certificates: what was issued to whom, and what is revoked. */
@Repository
public class NodeCertificates {
    public record Issued(String serial, String nodeId, Instant notBefore, Instant notAfter, Instant issuedAt,
            Instant revokedAt) {
        public boolean revoked() {
            return revokedAt != null;
        }
    }

    private final JdbcClient db;
    private final AuditLog audit;

    NodeCertificates(JdbcClient db, AuditLog audit) {
        this.db = db;
        this.audit = audit;
    }

    void record(Issued c) {
        db.sql("insert into node_certificate(serial, node_id, not_before, not_after, issued_at) values (?, ?, ?, ?, ?)")
                .params(c.serial(), c.nodeId(), Timestamp.from(c.notBefore()), Timestamp.from(c.notAfter()),
                        Timestamp.from(c.issuedAt())).update();
        audit.record("node:" + c.nodeId(), "certificate.issue", c.serial(), "valid until " + c.notAfter());
    }

    public Optional<Issued> find(String serial) {
        return db.sql("select * from node_certificate where serial = ?").param(serial).query(NodeCertificates::row)
                .optional();
    }

    public List<Issued> of(String nodeId) {
        return db.sql("select * from node_certificate where node_id = ? order by issued_at").param(nodeId)
                .query(NodeCertificates::row).list();
    }

    public void revoke(String serial, String actor) {
        int n = db.sql("update node_certificate set revoked_at = ? where serial = ? and revoked_at is null")
                .params(Timestamp.from(Instant.now()), serial).update();
        if (n == 0 && find(serial).isEmpty()) {
            throw HubException.notFound("no certificate with serial " + serial);
        }
        audit.record(actor, "certificate.revoke", serial, null);
    }

    /** Revokes every certificate of a node (the node itself was revoked). */
    public void revokeAll(String nodeId, String actor) {
        int n = db.sql("update node_certificate set revoked_at = ? where node_id = ? and revoked_at is null")
                .params(Timestamp.from(Instant.now()), nodeId).update();
        if (n > 0) {
            audit.record(actor, "certificate.revoke", nodeId, n + " certificate(s) of the node");
        }
    }

    private static Issued row(ResultSet rs, int n) throws SQLException {
        Timestamp revoked = rs.getTimestamp("revoked_at");
        return new Issued(rs.getString("serial"), rs.getString("node_id"), rs.getTimestamp("not_before").toInstant(),
                rs.getTimestamp("not_after").toInstant(), rs.getTimestamp("issued_at").toInstant(),
                revoked == null ? null : revoked.toInstant());
    }
}
