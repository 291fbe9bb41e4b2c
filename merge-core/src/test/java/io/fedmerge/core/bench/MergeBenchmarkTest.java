package io.fedmerge.core.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.cli.CliRun;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** `fedmerge bench merge` end to end on a tiny model, with the page cache emptied before each timed step. */
class MergeBenchmarkTest {
    @TempDir
    Path work;

    @Test
    void aColdRunReportsEachMergeAgainstTheColdReadOfItsInputs() {
        Assumptions.assumeTrue(PageCache.droppable(), "emptying the page cache needs root");
        CliRun run = CliRun.of("bench", "merge", "--cold", "--preset", "tiny", "--layers", "1", "--variants", "1",
                "--threads", "1", "--methods", "task_arithmetic,ties", "--work", work.toString(), "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode report = JsonMapper.builder().build().readTree(run.out());
        double coldRead = report.get("cold_read_seconds").asDouble();
        assertThat(coldRead).isPositive();
        assertThat(report.get("methods")).hasSize(2).allSatisfy(m -> {
            assertThat(m.get("seconds").asDouble()).isPositive();
            assertThat(m.get("ratio_to_cold_read").asDouble()).isEqualTo(m.get("seconds").asDouble() / coldRead);
        });
        assertThat(run.err()).contains("cold read:", "after emptying the page cache", "to the cold read");
    }

    @Test
    void aPresetWithoutSizeOrLayersKeepsItsOwnLayerCount() {
        CliRun run = CliRun.of("bench", "merge", "--preset", "tiny", "--variants", "1", "--threads", "1",
                "--methods", "task_arithmetic", "--work", work.toString(), "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        // the tiny preset has 2 layers; sizing it to the default 2 GB took 27,032 of them
        assertThat(JsonMapper.builder().build().readTree(run.out()).get("layers").asInt()).isEqualTo(2);
    }

    @Test
    void coldAndTheMergekitHeadToHeadAreRefusedTogether() {
        CliRun run = CliRun.of("bench", "merge", "--cold", "--vs-mergekit", "--work", work.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--cold and --vs-mergekit do not combine", "warm page cache");
    }
}
