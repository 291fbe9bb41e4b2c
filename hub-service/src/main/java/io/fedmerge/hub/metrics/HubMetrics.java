package io.fedmerge.hub.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * The fedmerge_* metrics operators watch (exported at /actuator/prometheus). Round and node gauges read the
 * database at scrape time, so they are right after a restart and across replicas.
 */
@Component
public class HubMetrics {
    private final MeterRegistry registry;
    private final Counter bytesReceived;
    private final Counter bytesSent;
    private final Counter contributionsReceived;
    private final AtomicInteger activeTransfers = new AtomicInteger();
    private final AtomicLong mergeBytesPerSecond = new AtomicLong();
    private final AtomicLong mergeBytesDone = new AtomicLong();
    private final Timer uploadDuration;
    private final Timer mergeDuration;
    private final MultiGauge lastSeen;
    private final JdbcClient db;

    HubMetrics(MeterRegistry registry, JdbcClient db) {
        this.registry = registry;
        this.db = db;
        lastSeen = MultiGauge.builder("fedmerge.node.last.seen").baseUnit("seconds")
                .description("seconds since the node last called the hub").register(registry);
        bytesReceived = Counter.builder("fedmerge.bytes.received").baseUnit("bytes")
                .description("task-vector bytes received from nodes").register(registry);
        bytesSent = Counter.builder("fedmerge.bytes.sent").baseUnit("bytes")
                .description("consolidated-model bytes sent to nodes").register(registry);
        contributionsReceived = Counter.builder("fedmerge.contributions.received")
                .description("contributions committed").register(registry);
        uploadDuration = Timer.builder("fedmerge.upload.duration").description("upload sessions, begin to commit")
                .register(registry);
        mergeDuration = Timer.builder("fedmerge.merge.duration").description("consolidation merges")
                .register(registry);
        Gauge.builder("fedmerge.transfers.active", activeTransfers, AtomicInteger::get)
                .description("uploads and downloads in progress").register(registry);
        Gauge.builder("fedmerge.merge.bytes.per.second", mergeBytesPerSecond, AtomicLong::get)
                .description("throughput of the merge in progress (or the last one)").register(registry);
        Gauge.builder("fedmerge.merge.bytes.done", mergeBytesDone, AtomicLong::get)
                .description("bytes written by the merge in progress").register(registry);
        for (String state : new String[] {"OPEN", "MERGING", "EVALUATING", "PUBLISHED", "REJECTED", "FAILED",
            "CANCELLED"}) {
            Gauge.builder("fedmerge.rounds", () -> db.sql("select count(*) from round where state = ?").param(state)
                    .query(Long.class).single()).tag("state", state).description("rounds by state").register(registry);
        }
        Gauge.builder("fedmerge.nodes.enrolled", () -> db.sql("select count(*) from node where revoked = false")
                .query(Long.class).single()).description("enrolled, non-revoked nodes").register(registry);
        // A node's newest certificate close to expiry means its agent has not renewed: the node is offline or stuck.
        Gauge.builder("fedmerge.certificates.expiring", () -> db.sql("""
                select count(*) from node_certificate c join node n on n.id = c.node_id
                where n.revoked = false and c.revoked_at is null and c.not_after > ? and c.not_after < ?
                and not exists (select 1 from node_certificate d where d.node_id = c.node_id
                                and d.issued_at > c.issued_at)""")
                .params(Timestamp.from(Instant.now()), Timestamp.from(Instant.now().plus(Duration.ofDays(7))))
                .query(Long.class).single())
                .description("nodes whose newest client certificate expires within 7 days").register(registry);
    }

    /** A gRPC call refused by authentication (reason: credential, certificate, revoked). */
    public void callRefused(String reason) {
        registry.counter("fedmerge.calls.refused", "reason", reason).increment();
    }

    public void certificateIssued() {
        registry.counter("fedmerge.certificates.issued").increment();
    }

    public void received(long bytes) {
        bytesReceived.increment(bytes);
    }

    public void sent(long bytes) {
        bytesSent.increment(bytes);
    }

    public void contributionCommitted(Duration took) {
        contributionsReceived.increment();
        uploadDuration.record(took);
    }

    /** A site reported its scores of a round's candidates. */
    public void evaluationReported() {
        registry.counter("fedmerge.round.eval.reports").increment();
    }

    /** An evaluated round was decided: a candidate published, or the round rejected. */
    public void evaluationDecided(boolean published) {
        registry.counter("fedmerge.round.eval.decisions", "outcome", published ? "published" : "rejected")
                .increment();
    }

    public void contributionRejected(String reason) {
        registry.counter("fedmerge.contributions.rejected", "reason", reason).increment();
    }

    public void transferStarted() {
        activeTransfers.incrementAndGet();
    }

    public void transferEnded() {
        activeTransfers.decrementAndGet();
    }

    public void mergeProgress(long bytesDone, double seconds) {
        mergeBytesDone.set(bytesDone);
        mergeBytesPerSecond.set(seconds > 0 ? (long) (bytesDone / seconds) : 0);
    }

    public void mergeFinished(Duration took) {
        mergeDuration.record(took);
    }

    /** Refreshes fedmerge_node_last_seen_seconds{node="name"}: seconds since each node last called the hub. */
    @Scheduled(fixedDelayString = "${fedmerge.hub.metrics.last-seen-refresh-ms:15000}", initialDelay = 1_000)
    void refreshLastSeen() {
        long now = System.currentTimeMillis();
        lastSeen.register(db.sql("select name, last_seen, enrolled_at from node where revoked = false")
                .query((rs, n) -> {
                    java.sql.Timestamp seen = rs.getTimestamp("last_seen");
                    long at = (seen != null ? seen : rs.getTimestamp("enrolled_at")).getTime();
                    return MultiGauge.Row.of(Tags.of("node", rs.getString("name")), (now - at) / 1000.0);
                }).list(), true);
    }
}
