package io.fedmerge.core.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.generate.ModelShape;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The merge benchmark end to end on a tiny model, with the page cache emptied before each timed step. */
class MergeBenchmarkTest {
    @TempDir
    Path work;

    @Test
    void aColdRunReportsEachMergeAgainstTheColdReadOfItsInputs() {
        Assumptions.assumeTrue(PageCache.droppable(), "emptying the page cache needs root");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        MergeBenchmark.Report r = new MergeBenchmark().run(new MergeBenchmark.Options(ModelShape.preset("tiny"), 1, 1,
                work, List.of("task_arithmetic", "ties"), false, true), new PrintStream(log, true,
                StandardCharsets.UTF_8));
        assertThat(r.coldReadSeconds()).isPositive();
        assertThat(r.runs()).hasSize(2).allSatisfy(run -> {
            assertThat(run.seconds()).isPositive();
            assertThat(run.ratioToColdRead()).isEqualTo(run.seconds() / r.coldReadSeconds());
        });
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("cold read:", "after emptying the page cache",
                "to the cold read");
    }
}
