package io.fedmerge.hub.round;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.springframework.stereotype.Component;

/**
 * Serialises, per round, the steps that must not interleave on this hub: a commit moving a contribution into place
 * and the start of the merge that reads the contributions.
 */
@Component
public class RoundLocks {
    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    public interface Work<T> {
        T run() throws IOException;
    }

    public <T> T with(String roundId, Work<T> work) {
        ReentrantLock lock = locks.computeIfAbsent(roundId, id -> new ReentrantLock());
        lock.lock();
        try {
            return work.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            lock.unlock();
        }
    }
}
