package io.fedmerge.app.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.app.HubProcess;
import io.fedmerge.app.ReplicaSettings;
import io.fedmerge.hub.storage.LocalS3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * The load run of docs/RELIABILITY.md: N edges at once (10 in ./run-tests, 50 with scripts/load) enroll, contribute
 * and install against one hub process and then, when ./run-tests provides PostgreSQL, against two replicas sharing
 * it and an S3 store. Every edge must succeed; the latencies and the hubs' memory go to app/target/load.json.
 */
class LoadTest {
    @TempDir
    Path dir;

    @Test
    void everyEdgeEnrollsContributesAndInstallsTheRoundWithoutAnError() throws Exception {
        int edges = Integer.getInteger("fedmerge.load.edges", 10);
        LoadRun run = new LoadRun(dir, System.out);
        List<LoadRun.Report> reports = new ArrayList<>();
        try (HubProcess hub = HubProcess.start(dir.resolve("single"), run.models(), "512m", List.of(), Map.of())) {
            reports.add(run.run("single", List.of(hub), edges));
        }
        String pg = ReplicaSettings.testPostgres();
        if (pg != null) {
            try (LocalS3 s3 = LocalS3.startInMemory()) {
                ReplicaSettings replicas = ReplicaSettings.on(pg, s3, "load");
                List<HubProcess> hubs = new ArrayList<>();
                try {
                    for (int i = 0; i < 2; i++) {
                        hubs.add(HubProcess.start(dir.resolve("replica-" + i), run.models(), "512m",
                                replicas.args(), replicas.env()));
                    }
                    reports.add(run.run("replicas", hubs, edges));
                } finally {
                    hubs.forEach(HubProcess::close);
                }
            }
        }
        Path out = Path.of("target", "load.json");
        Files.createDirectories(out.getParent());
        JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValue(out.toFile(), reports);
        reports.forEach(r -> System.out.println(r.summary()));
        for (LoadRun.Report r : reports) {
            assertThat(r.errors()).as("errors with %d hub(s)", r.hubs()).isEmpty();
            assertThat(r.commit().millis()).as("every commit timed").hasSize(edges);
            assertThat(r.install().millis()).hasSize(edges);
        }
    }
}
