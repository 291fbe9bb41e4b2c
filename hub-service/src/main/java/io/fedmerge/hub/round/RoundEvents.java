package io.fedmerge.hub.round;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Wakes this replica's round watchers when an event may have been added: at once for events this replica wrote
 * ({@link #signal}), and within {@code fedmerge.hub.event-poll-ms} for events another replica wrote, by one poll of
 * the newest sequence per replica (not one per watcher). Portable across H2 and PostgreSQL, unlike LISTEN/NOTIFY.
 */
@Component
public class RoundEvents {
    private final JdbcClient db;
    private final Object monitor = new Object();
    private long newest = -1;

    RoundEvents(JdbcClient db) {
        this.db = db;
    }

    /** Wakes every watcher (called after the transaction that added an event has committed). */
    public void signal() {
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }

    /** Waits until an event may have been added, or the timeout passes. */
    public void await(long millis) throws InterruptedException {
        synchronized (monitor) {
            monitor.wait(millis);
        }
    }

    @Scheduled(fixedDelayString = "${fedmerge.hub.event-poll-ms:500}")
    void pollNewest() {
        long now = db.sql("select coalesce(max(sequence), 0) from round_event").query(Long.class).single();
        boolean changed;
        synchronized (monitor) {
            changed = now != newest;
            newest = now;
        }
        if (changed) {
            signal();
        }
    }
}
