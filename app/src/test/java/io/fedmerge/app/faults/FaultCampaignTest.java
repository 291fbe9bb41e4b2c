package io.fedmerge.app.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.hub.storage.LocalS3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
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
        String pg = System.getenv("FEDMERGE_TEST_PG_URL");
        pg = pg == null || pg.isBlank() ? null : pg;
        try (LocalS3 s3 = pg == null ? null : LocalS3.startInMemory();
                FaultCampaign campaign = campaign(pg, s3)) {
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

    private FaultCampaign campaign(String pg, LocalS3 s3) throws Exception {
        if (pg == null) {
            return new FaultCampaign(dir, Map.of(), null, null, System.out);
        }
        String schema = "faults" + Long.toHexString(System.nanoTime());
        try (Connection c = DriverManager.getConnection(pg)) {
            c.createStatement().execute("create schema " + schema);
        }
        List<String> args = new ArrayList<>(List.of("--spring.flyway.schemas=" + schema));
        Map<String, String> env = new java.util.HashMap<>(Map.of(
                // secrets and URLs with credentials go through the environment, never a command line
                "SPRING_DATASOURCE_URL", pg + "&currentSchema=" + schema,
                "FEDMERGE_HUB_ADMIN_TOKEN", io.fedmerge.hub.security.Secrets.newSecret("fma_")));
        for (String a : s3.hubArgs("faults")) {
            if (a.startsWith("--fedmerge.hub.storage.s3.secret-key=")) {
                env.put("FEDMERGE_HUB_STORAGE_S3_SECRETKEY", a.substring(a.indexOf('=') + 1));
            } else {
                args.add(a);
            }
        }
        return new FaultCampaign(dir, env, args, prefix -> s3.keys("faults", prefix), System.out);
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
