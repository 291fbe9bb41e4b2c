package io.fedmerge.hub;

import java.time.Instant;
import java.sql.Timestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** Who did what, persisted and logged. Never given a credential or patient-derived data. */
@Component
public class AuditLog {
    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    private final JdbcClient db;

    AuditLog(JdbcClient db) {
        this.db = db;
    }

    public void record(String actor, String action, String subject, String detail) {
        db.sql("insert into audit_log(at, actor, action, subject, detail) values (?, ?, ?, ?, ?)")
                .params(Timestamp.from(Instant.now()), actor, action, subject, detail).update();
        LOG.info("audit actor={} action={} subject={} {}", actor, action, subject, detail == null ? "" : detail);
    }
}
