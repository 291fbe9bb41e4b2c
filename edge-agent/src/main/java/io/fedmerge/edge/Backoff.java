package io.fedmerge.edge;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Capped exponential backoff with "equal jitter": after the n-th failure, wait between half and all of
 * min(max, initial * 2^(n-1)). The jitter keeps a fleet of edges that lost the same hub from reconnecting in
 * lock-step; the half floor keeps a retry from firing at once.
 */
public final class Backoff {
    private final long initialMillis;
    private final long maxMillis;
    private final RandomGenerator random;
    private int failures;

    public Backoff(Duration initial, Duration max, RandomGenerator random) {
        this.initialMillis = Math.max(1, initial.toMillis());
        this.maxMillis = Math.max(initialMillis, max.toMillis());
        this.random = random;
    }

    /** The wait after one more failure. */
    public Duration next() {
        failures++;
        long cap = initialMillis << Math.min(failures - 1, 30);
        cap = cap <= 0 || cap > maxMillis ? maxMillis : cap;
        long half = cap / 2;
        return Duration.ofMillis(half + random.nextLong(cap - half + 1));
    }

    /** After a success: the next failure waits the initial backoff again. */
    public void reset() {
        failures = 0;
    }

    /** Sleeps {@code wait}; an interrupt ends the wait and is kept for the caller. */
    public static boolean sleep(Duration wait) {
        try {
            Thread.sleep(wait);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
