package io.fedmerge.hub.security;

import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Re-checks an open stream's node (and certificate) every {@code bytes} transferred or {@code interval} elapsed,
 * whichever comes first, so a node revoked mid-transfer is cut off within a few MiB instead of after the whole
 * model. One database read per check; not thread-safe (one stream, one guard, called under the stream's lock).
 */
public final class StreamRecheck {
    private final Supplier<Optional<String>> check;
    private final long bytes;
    private final long intervalNanos;
    private final LongSupplier clock;
    private long bytesSinceCheck;
    private long lastCheck;

    StreamRecheck(Supplier<Optional<String>> check, long bytes, Duration interval, LongSupplier clock) {
        this.check = check;
        this.bytes = bytes;
        this.intervalNanos = interval.toNanos();
        this.clock = clock;
        this.lastCheck = clock.getAsLong();
    }

    /** A guard for the current gRPC call. */
    public static StreamRecheck forCurrentCall(long bytes, Duration interval) {
        return new StreamRecheck(NodeContext.recheck(), bytes, interval, System::nanoTime);
    }

    /** Counts {@code transferred} bytes and says whether a check is due now (the count then starts again). */
    public boolean due(long transferred) {
        bytesSinceCheck += transferred;
        long now = clock.getAsLong();
        if (bytesSinceCheck < bytes && now - lastCheck < intervalNanos) {
            return false;
        }
        bytesSinceCheck = 0;
        lastCheck = now;
        return true;
    }

    /** Why the stream's node may no longer act (revoked, certificate revoked or expired), or empty. */
    public Optional<String> refusal() {
        return check.get();
    }
}
