package io.fedmerge.edge;

import io.fedmerge.core.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.json.JsonMapper;

/**
 * The last round event a watch daemon handled, kept in its work directory so a restarted daemon resumes after it
 * instead of replaying every event since the hub's first (and trying to contribute to rounds long closed). It
 * belongs to one node on one hub: a re-enrolled node starts over.
 */
public record WatchState(String hub, String nodeId, long afterSequence) {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    static final String FILE = "watch-state.json";

    /** The saved state for this node, or a fresh one (sequence 0). */
    public static WatchState load(Path workDir, EdgeConfig node) {
        Path file = workDir.resolve(FILE);
        if (Files.isRegularFile(file)) {
            try {
                WatchState saved = JSON.readValue(Files.readString(file), WatchState.class);
                if (node.hub().equals(saved.hub()) && node.nodeId().equals(saved.nodeId())) {
                    return saved;
                }
            } catch (IOException | RuntimeException e) {
                System.err.println("ignoring an unreadable " + file + " (" + e.getMessage() + "); starting over");
            }
        }
        return new WatchState(node.hub(), node.nodeId(), 0);
    }

    public WatchState after(long sequence) {
        return new WatchState(hub, nodeId, sequence);
    }

    public void save(Path workDir) {
        try {
            AtomicFiles.write(workDir.resolve(FILE), JSON.writeValueAsString(this), false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the watch state in " + workDir, e);
        }
    }
}
