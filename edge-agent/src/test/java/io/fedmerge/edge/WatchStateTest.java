package io.fedmerge.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A restarted daemon resumes after the last event it handled, for the node and hub it handled it for. */
class WatchStateTest {
    @TempDir
    Path work;

    static final EdgeConfig NODE = new EdgeConfig("hub:9090", "node-1", "st-mary", "fmn_x");

    @Test
    void theLastHandledSequenceSurvivesARestart() {
        assertThat(WatchState.load(work, NODE).afterSequence()).isZero();
        WatchState.load(work, NODE).after(41).save(work);
        assertThat(WatchState.load(work, NODE).afterSequence()).isEqualTo(41);
    }

    @Test
    void anotherNodeOrHubStartsOver() {
        WatchState.load(work, NODE).after(41).save(work);
        assertThat(WatchState.load(work, new EdgeConfig("hub:9090", "node-2", "st-mary", "fmn_y")).afterSequence())
                .isZero();
        assertThat(WatchState.load(work, new EdgeConfig("other:9090", "node-1", "st-mary", "fmn_x"))
                .afterSequence()).isZero();
    }

    @Test
    void anUnreadableStateStartsOverInsteadOfStopping() throws Exception {
        Files.writeString(work.resolve(WatchState.FILE), "{not json");
        assertThat(WatchState.load(work, NODE).afterSequence()).isZero();
    }
}
