package io.fedmerge.hub;

import io.grpc.Context;
import jakarta.servlet.http.HttpServletRequest;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/** Who did what, from where, persisted, logged and queryable. Never given a credential or patient-derived data. */
@Component
public class AuditLog {
    /** The calling node's address on a gRPC call, set by the node interceptor. */
    public static final Context.Key<String> GRPC_SOURCE = Context.key("fedmerge-audit-source");
    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    private final JdbcClient db;

    AuditLog(JdbcClient db) {
        this.db = db;
    }

    public void record(String actor, String action, String subject, String detail) {
        String source = source();
        db.sql("insert into audit_log(at, actor, action, subject, detail, source) values (?, ?, ?, ?, ?, ?)")
                .params(Timestamp.from(Instant.now()), actor, action, subject, detail, source).update();
        LOG.info("audit actor={} action={} subject={} source={} {}", actor, action, subject, source,
                detail == null ? "" : detail);
    }

    /** The newest entries matching {@code filter}, older than entry {@code before} (null: from the newest). */
    public List<AuditEntry> page(AuditFilter filter, int limit, Long before) {
        Query q = where(filter, before);
        return db.sql("select * from audit_log" + q.sql() + " order by id desc fetch first " + limit + " rows only")
                .params(q.params()).query((rs, n) -> entry(rs)).list();
    }

    /** Every entry matching {@code filter}, oldest first, one at a time (an export never holds the whole log). */
    public void forEach(AuditFilter filter, Consumer<AuditEntry> sink) {
        Query q = where(filter, null);
        db.sql("select * from audit_log" + q.sql() + " order by id").params(q.params())
                .query((ResultSet rs) -> sink.accept(entry(rs)));
    }

    private record Query(String sql, List<Object> params) {}

    private static Query where(AuditFilter f, Long before) {
        List<String> terms = new ArrayList<>();
        List<Object> params = new ArrayList<>();
        add(terms, params, "actor = ?", f.actor());
        add(terms, params, "action = ?", f.action());
        add(terms, params, "subject = ?", f.subject());
        add(terms, params, "at >= ?", f.since() == null ? null : Timestamp.from(f.since()));
        add(terms, params, "at < ?", f.until() == null ? null : Timestamp.from(f.until()));
        add(terms, params, "id < ?", before);
        return new Query(terms.isEmpty() ? "" : " where " + String.join(" and ", terms), params);
    }

    private static void add(List<String> terms, List<Object> params, String term, Object value) {
        if (value != null) {
            terms.add(term);
            params.add(value);
        }
    }

    private static AuditEntry entry(ResultSet rs) throws SQLException {
        return new AuditEntry(rs.getLong("id"), rs.getTimestamp("at").toInstant(), rs.getString("actor"),
                rs.getString("action"), rs.getString("subject"), rs.getString("detail"), rs.getString("source"));
    }

    /** The client address of the HTTP request or gRPC call being served, or null (scheduled work). */
    private static String source() {
        if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes) {
            HttpServletRequest request = attributes.getRequest();
            return request.getRemoteAddr();
        }
        return GRPC_SOURCE.get();
    }
}
