package io.fedmerge.hub.transfer;

import io.fedmerge.hub.HubProperties;
import jakarta.annotation.PostConstruct;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.stereotype.Component;

/**
 * The bulk streams open on this hub. A sweep ends any that made no progress within its limit: an upload that sends
 * nothing, a download whose receiver reads nothing. Without it a peer could hold a stream (a file, a buffer, a
 * concurrent-call slot) open forever by going silent.
 */
@Component
class OpenStreams {
    /** A stream the sweep watches. */
    interface Tracked {
        /** {@link System#nanoTime()} of the stream's last progress. */
        long lastProgressNanos();

        long limitNanos();

        /** Ends the stream because it made no progress within its limit. */
        void expire();
    }

    private final Set<Tracked> open = ConcurrentHashMap.newKeySet();
    private final TaskScheduler scheduler;
    private final HubProperties properties;
    private ScheduledFuture<?> sweeping;

    OpenStreams(TaskScheduler scheduler, HubProperties properties) {
        this.scheduler = scheduler;
        this.properties = properties;
    }

    @PostConstruct
    void start() {
        sweeping = scheduler.scheduleWithFixedDelay(this::sweep, properties.streams().sweepInterval());
    }

    void add(Tracked stream) {
        open.add(stream);
    }

    void remove(Tracked stream) {
        open.remove(stream);
    }

    int size() {
        return open.size();
    }

    void sweep() {
        long now = System.nanoTime();
        for (Tracked t : open) {
            if (now - t.lastProgressNanos() > t.limitNanos() && open.remove(t)) {
                t.expire();
            }
        }
    }

    void stop() {
        if (sweeping != null) {
            sweeping.cancel(false);
        }
    }
}
