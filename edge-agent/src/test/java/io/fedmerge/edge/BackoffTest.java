package io.fedmerge.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Waits double up to the cap, each between half and all of it, and start over after a success. */
class BackoffTest {
    @Test
    void waitsGrowToTheCapWithJitterInTheUpperHalf() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), new SplittableRandom(7));
        long[] caps = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000};
        for (long cap : caps) {
            long wait = b.next().toMillis();
            assertThat(wait).as("cap %d", cap).isBetween(cap / 2, cap);
        }
        for (int i = 0; i < 100; i++) {
            assertThat(b.next().toMillis()).isBetween(30_000L, 60_000L); // stays capped, no overflow
        }
        b.reset();
        assertThat(b.next().toMillis()).isBetween(500L, 1000L);
    }

    @Test
    void jitterSpreadsAFleetThatFailedAtOnce() {
        long lowest = Long.MAX_VALUE;
        long highest = 0;
        for (int seed = 0; seed < 50; seed++) {
            Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), new SplittableRandom(seed));
            for (int i = 0; i < 5; i++) {
                b.next();
            }
            long w = b.next().toMillis(); // sixth failure: cap 32 s
            lowest = Math.min(lowest, w);
            highest = Math.max(highest, w);
        }
        assertThat(highest - lowest).as("50 edges do not all come back at the same instant").isGreaterThan(5_000);
    }
}
