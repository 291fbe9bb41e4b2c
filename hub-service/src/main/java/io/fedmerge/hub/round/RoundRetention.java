package io.fedmerge.hub.round;

import io.fedmerge.hub.AuditLog;
import io.fedmerge.hub.HubProperties;
import io.fedmerge.hub.storage.BlobStore;
import java.io.IOException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Deletes what ended rounds no longer need once {@code fedmerge.hub.retention.ended-rounds} has passed: the
 * contributions (hospitals' task vectors: the hub should not keep them longer than it must) and any upload
 * leftovers; a cancelled, failed or rejected round's unpublished files too (a rejected candidate can be published
 * against the gate until then). Published artifacts stay, since nodes install
 * from them. Each round is cleaned once, and a store that is down is tried again at the next sweep.
 */
@Component
public class RoundRetention {
    private static final Logger LOG = LoggerFactory.getLogger(RoundRetention.class);
    private final JdbcClient db;
    private final BlobStore blobs;
    private final AuditLog audit;
    private final HubProperties properties;

    RoundRetention(JdbcClient db, BlobStore blobs, AuditLog audit, HubProperties properties) {
        this.db = db;
        this.blobs = blobs;
        this.audit = audit;
        this.properties = properties;
    }

    /** One sweep (the scheduler runs it every fedmerge.hub.retention.sweep-ms). */
    @Scheduled(fixedDelayString = "${fedmerge.hub.retention.sweep-ms:3600000}",
            initialDelayString = "${fedmerge.hub.retention.sweep-ms:3600000}")
    public void sweep() {
        if (!properties.retention().enabled()) {
            return;
        }
        Instant cutoff = Instant.now().minus(properties.retention().endedRounds());
        List<Round> ended = db.sql("""
                select id, state from round where state in ('PUBLISHED', 'FAILED', 'CANCELLED', 'REJECTED')
                  and updated_at < ? and blobs_cleaned_at is null""").param(Timestamp.from(cutoff))
                .query((rs, n) -> new Round(rs.getString("id"), RoundState.valueOf(rs.getString("state")))).list();
        for (Round r : ended) {
            try {
                clean(r);
            } catch (IOException | RuntimeException e) {
                LOG.warn("round={} retention could not delete its blobs yet: {}", r.id(), e.getMessage());
            }
        }
    }

    private record Round(String id, RoundState state) {}

    private void clean(Round r) throws IOException {
        String prefix = "rounds/" + r.id() + "/";
        blobs.deleteTree(prefix + "contributions/");
        blobs.deleteTree(prefix + "uploads/");
        blobs.deleteTree(prefix + MergeJobs.CANDIDATES); // an evaluated round's candidates nobody published
        if (r.state() != RoundState.PUBLISHED) {
            blobs.deleteTree(prefix + "artifact/");
            blobs.delete(prefix + "merge.yml");
        }
        db.sql("update round set blobs_cleaned_at = ? where id = ?").params(Timestamp.from(Instant.now()), r.id())
                .update();
        audit.record("hub", "round.retention", r.id(), r.state() + ": contributions deleted"
                + (r.state() == RoundState.PUBLISHED ? ", artifact kept" : ""));
    }
}
