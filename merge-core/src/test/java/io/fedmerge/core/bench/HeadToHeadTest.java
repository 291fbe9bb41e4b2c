package io.fedmerge.core.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.generate.ModelShape;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The head-to-head runs the real command in a fresh JVM on a mergekit config and reports against the anchor. */
class HeadToHeadTest {
    @TempDir
    Path work;

    @Test
    void aFreshFedmergeMergesTheMergekitConfigAndTheSpeedUpIsTheAnchorOverItsWallClock() throws Exception {
        List<String> launch = List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules=jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "io.fedmerge.core.cli.FedmergeCli");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<HeadToHead.Run> runs = new HeadToHead().run(work, ModelShape.preset("tiny"),
                List.of("task_arithmetic", "ties"), launch, new PrintStream(log, true));
        assertThat(runs).extracting(HeadToHead.Run::method).containsExactly("task_arithmetic", "ties");
        for (HeadToHead.Run r : runs) {
            assertThat(r.seconds()).isPositive();
            assertThat(r.speedup()).isEqualTo(HeadToHead.MERGEKIT_SECONDS.get(r.method()) / r.seconds());
            assertThat(Files.readString(work.resolve(r.method() + ".log"))).contains("merged");
        }
        assertThat(Files.readString(work.resolve("ties.yml"))).contains("merge_method: ties", "density: 0.5",
                "hospital-3");
        assertThat(log.toString()).contains("warming the page cache: read", "mergekit 219.6 s");
    }

    @Test
    void aMethodWithoutAMergekitFigureIsRefusedBeforeAnythingRuns() {
        assertThatThrownBy(() -> new HeadToHead().run(work, ModelShape.preset("tiny"), List.of("breadcrumbs"), List.of(),
                new PrintStream(new ByteArrayOutputStream()))).isInstanceOf(FedmergeException.class)
                .hasMessageContaining("no mergekit figure recorded for 'breadcrumbs'");
        assertThat(work.resolve("models")).doesNotExist();
    }
}
