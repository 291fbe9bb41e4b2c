package io.fedmerge.app.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.app.ReplicaSettings;
import io.fedmerge.hub.storage.LocalS3;
import io.fedmerge.hub.storage.Tmpfs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * The fault campaign of docs/RELIABILITY.md. ./run-tests runs a short one (10 trials, seed 1); scripts/fault-campaign
 * runs a long one ({@code -Dfedmerge.faults.trials=200}). Every trial is reproducible from its seed and index. With
 * FEDMERGE_TEST_PG_URL set, a quarter of the trials kill one of two replicas sharing PostgreSQL and S3.
 */
class FaultCampaignTest {
    @TempDir
    Path dir;

    @Test
    void everyTrialEndsPublishedOrFailedWithAReasonAndNoInvariantBreaks() throws Exception {
        int trials = Integer.getInteger("fedmerge.faults.trials", 10);
        long seed = Long.getLong("fedmerge.faults.seed", 1);
        List<FaultCampaign.Trial> results = new ArrayList<>();
        String pg = ReplicaSettings.testPostgres();
        StringBuilder noDisk = new StringBuilder();
        try (Tmpfs disk = Tmpfs.mount(dir.resolve("disk"), "1g", noDisk);
                LocalS3 s3 = pg == null ? null : LocalS3.startInMemory();
                FaultCampaign campaign = campaign(pg, s3, disk)) {
            if (disk == null) {
                System.out.println("fault campaign: no disk-full trials: " + noDisk);
            }
            for (int i = 0; i < trials; i++) {
                results.add(campaign.run(seed, i));
            }
        }
        Path report = Path.of("target", "fault-campaign.json");
        Files.createDirectories(report.getParent());
        JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValue(report.toFile(), Map.of("seed", seed,
                "trials", results));
        System.out.println(summary(results));
        assertThat(results).hasSize(trials);
        assertThat(results).flatMap(FaultCampaign.Trial::violations).isEmpty();
    }

    private FaultCampaign campaign(String pg, LocalS3 s3, Tmpfs disk) throws Exception {
        if (pg == null) {
            return new FaultCampaign(dir, Map.of(), null, null, disk, System.out);
        }
        ReplicaSettings replicas = ReplicaSettings.on(pg, s3, "faults");
        FaultCampaign.BlobKeys bucket = new FaultCampaign.BlobKeys() {
            @Override
            public List<String> under(String prefix) {
                return s3.keys("faults", prefix);
            }

            @Override
            public void forget(String prefix) {
                s3.delete("faults", prefix);
            }
        };
        return new FaultCampaign(dir, replicas.env(), replicas.args(), bucket, disk, System.out);
    }

    static String summary(List<FaultCampaign.Trial> results) {
        Map<FaultCampaign.Fault, Long> byFault = results.stream()
                .collect(Collectors.groupingBy(FaultCampaign.Trial::fault, Collectors.counting()));
        long violations = results.stream().mapToLong(t -> t.violations().size()).sum();
        long slowest = results.stream().mapToLong(FaultCampaign.Trial::recoveryMillis).max().orElse(0);
        long[] resent = results.stream().mapToLong(FaultCampaign.Trial::resentBytes).sorted().toArray();
        long published = results.stream().filter(t -> t.state().equals("PUBLISHED")).count();
        return "fault campaign: " + results.size() + " trials " + byFault + ", " + published + " published, "
                + violations + " invariant violations, slowest recovery " + slowest + " ms, bytes re-sent max "
                + (resent.length == 0 ? 0 : resent[resent.length - 1]) + " median "
                + (resent.length == 0 ? 0 : resent[resent.length / 2]);
    }
}
