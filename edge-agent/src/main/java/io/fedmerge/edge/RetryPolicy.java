package io.fedmerge.edge;

import java.time.Duration;

/**
 * How long the edge keeps retrying a call the hub could not answer (it is restarting, unreachable, or its storage
 * is out): until {@code budget} has passed or {@code maxAttempts} were made, waiting a capped, jittered exponential
 * backoff between attempts. Refusals (a wrong base, a revoked node) are never retried.
 *
 * @param budget total time to keep trying (from the first attempt)
 * @param maxAttempts attempts at most ({@link Integer#MAX_VALUE}: as many as the budget allows)
 * @param initialBackoff wait after the first failure; doubles after each further one
 * @param maxBackoff the longest wait between two attempts
 */
public record RetryPolicy(Duration budget, int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
    /** One-shot commands: five minutes, which outlasts a hub restart or a rolling upgrade. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(Duration.ofMinutes(5), Integer.MAX_VALUE,
            Duration.ofMillis(500), Duration.ofSeconds(30));

    public RetryPolicy {
        if (maxAttempts < 1 || budget.isNegative() || initialBackoff.isNegative()
                || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("retry policy needs at least one attempt, a non-negative budget and"
                    + " an initial backoff no longer than the longest one");
        }
    }

    /** A fixed number of attempts (tests, benchmarks), with the given initial backoff. */
    public static RetryPolicy attempts(int attempts, long backoffMillis) {
        Duration initial = Duration.ofMillis(backoffMillis);
        return new RetryPolicy(Duration.ofDays(1), attempts, initial, initial.multipliedBy(64));
    }

    /** Retry for {@code budget} with the default backoff. */
    public static RetryPolicy forDuration(Duration budget) {
        return new RetryPolicy(budget, Integer.MAX_VALUE, DEFAULT.initialBackoff, DEFAULT.maxBackoff);
    }
}
