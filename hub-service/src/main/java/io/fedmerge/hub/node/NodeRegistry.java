package io.fedmerge.hub.node;

import io.fedmerge.hub.AuditLog;
import io.fedmerge.hub.HubException;
import io.fedmerge.hub.Names;
import io.fedmerge.hub.security.Secrets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Enrollment tokens and nodes: one-time tokens become node identities whose credentials are stored hashed. */
@Service
public class NodeRegistry {
    public record IssuedToken(String id, String token, Instant expiresAt) {}

    /** @param site the site a node enrolled with this token belongs to, or null */
    public record TokenInfo(String id, String note, String site, Instant expiresAt, Instant usedAt, String usedBy,
            boolean revoked) {}

    public record Enrollment(String nodeId, String credential) {}

    private final JdbcClient db;
    private final AuditLog audit;

    NodeRegistry(JdbcClient db, AuditLog audit) {
        this.db = db;
        this.audit = audit;
    }

    public IssuedToken issueToken(Duration ttl, String note, String actor) {
        return issueToken(ttl, note, null, actor);
    }

    /** A one-time enrollment token; the node enrolled with it belongs to {@code site} (null = no site). */
    public IssuedToken issueToken(Duration ttl, String note, String site, String actor) {
        if (site != null) {
            Names.check("site", site);
        }
        String id = UUID.randomUUID().toString();
        String token = Secrets.newSecret("fmt_");
        Instant now = Instant.now();
        Instant expires = now.plus(ttl);
        db.sql("insert into enrollment_token(id, token_hash, note, site, expires_at, created_at)"
                + " values (?, ?, ?, ?, ?, ?)")
                .params(id, Secrets.hash(token), note, site, Timestamp.from(expires), Timestamp.from(now)).update();
        audit.record(actor, "token.create", id, (site == null ? "" : "site " + site + ", ") + "expires " + expires);
        return new IssuedToken(id, token, expires);
    }

    public List<TokenInfo> tokens() {
        return db.sql("select * from enrollment_token order by created_at").query(NodeRegistry::tokenInfo).list();
    }

    public Optional<TokenInfo> token(String id) {
        return db.sql("select * from enrollment_token where id = ?").param(id).query(NodeRegistry::tokenInfo)
                .optional();
    }

    public void revokeToken(String id, String actor) {
        if (db.sql("update enrollment_token set revoked = true where id = ?").param(id).update() == 0) {
            throw HubException.notFound("no enrollment token " + id);
        }
        audit.record(actor, "token.revoke", id, null);
    }

    /** Consumes a valid token exactly once (the update is conditional) and creates the node. */
    @Transactional
    public Enrollment enroll(String token, String nodeName) {
        Names.check("node", nodeName);
        String hash = Secrets.hash(token == null ? "" : token);
        Optional<TokenInfo> info = db.sql("select * from enrollment_token where token_hash = ?").param(hash)
                .query(NodeRegistry::tokenInfo).optional();
        TokenInfo t = info.orElseThrow(() -> HubException.unauthenticated(
                "enrollment token not recognised; ask the hub admin for a new one"));
        Instant now = Instant.now();
        if (t.revoked() || t.usedAt() != null || t.expiresAt().isBefore(now)) {
            String why = t.revoked() ? "was revoked" : t.usedAt() != null ? "was already used" : "has expired";
            throw HubException.unauthenticated("enrollment token " + why + "; ask the hub admin for a new one");
        }
        if (db.sql("select count(*) from node where name = ?").param(nodeName).query(Long.class).single() > 0) {
            throw new HubException(HubException.Kind.ALREADY_EXISTS, "name_taken",
                    "a node named '" + nodeName + "' is already enrolled; choose another name");
        }
        String nodeId = UUID.randomUUID().toString();
        int claimed = db.sql("update enrollment_token set used_at = ?, used_by = ? where id = ? and used_at is null")
                .params(Timestamp.from(now), nodeId, t.id()).update();
        if (claimed == 0) {
            throw HubException.unauthenticated("enrollment token was already used; ask the hub admin for a new one");
        }
        String credential = Secrets.newSecret("fmn_");
        db.sql("insert into node(id, name, site, credential_hash, enrolled_at) values (?, ?, ?, ?, ?)")
                .params(nodeId, nodeName, t.site(), Secrets.hash(credential), Timestamp.from(now)).update();
        audit.record("node:" + nodeId, "node.enroll", nodeName, "token " + t.id());
        return new Enrollment(nodeId, credential);
    }

    /** The node holding this credential, if it exists and is not revoked; records when it was last seen. */
    public Optional<Node> authenticate(String credential) {
        if (credential == null || credential.isBlank()) {
            return Optional.empty();
        }
        Optional<Node> node = db.sql("select * from node where credential_hash = ?").param(Secrets.hash(credential))
                .query(NodeRegistry::node).optional();
        node.filter(n -> !n.revoked()).ifPresent(n -> db.sql("update node set last_seen = ? where id = ?")
                .params(Timestamp.from(Instant.now()), n.id()).update());
        return node.filter(n -> !n.revoked());
    }

    public List<Node> nodes() {
        return db.sql("select * from node order by name").query(NodeRegistry::node).list();
    }

    public Optional<Node> node(String id) {
        return db.sql("select * from node where id = ?").param(id).query(NodeRegistry::node).optional();
    }

    public void revoke(String id, String actor) {
        if (db.sql("update node set revoked = true where id = ?").param(id).update() == 0) {
            throw HubException.notFound("no node " + id);
        }
        audit.record(actor, "node.revoke", id, null);
    }

    private static Node node(ResultSet rs, int n) throws SQLException {
        return new Node(rs.getString("id"), rs.getString("name"), rs.getString("site"), instant(rs, "enrolled_at"),
                instant(rs, "last_seen"), rs.getBoolean("revoked"));
    }

    private static TokenInfo tokenInfo(ResultSet rs, int n) throws SQLException {
        return new TokenInfo(rs.getString("id"), rs.getString("note"), rs.getString("site"),
                instant(rs, "expires_at"), instant(rs, "used_at"), rs.getString("used_by"), rs.getBoolean("revoked"));
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }
}
