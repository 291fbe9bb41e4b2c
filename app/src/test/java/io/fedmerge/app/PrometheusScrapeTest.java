package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Prometheus (Debian's) scrapes a running hub with the repository's alert rules loaded: a fedmerge_ series
 * comes back through its HTTP API, every rule evaluates healthily, and every query of the Grafana dashboard is valid
 * PromQL over series the hub exports.
 */
class PrometheusScrapeTest {
    static final Path RULES = Path.of("../deploy/prometheus/rules/fedmerge-alerts.yml");
    static final Path DASHBOARD = Path.of("../deploy/grafana/dashboards/fedmerge-hub.json");
    /**
     * Series that appear on their first event (counters by reason) or the first scheduled refresh (last seen per
     * node): absent from a fresh hub's scrape, valid in queries.
     */
    static final java.util.Set<String> LAZY = java.util.Set.of("fedmerge_calls_refused_total",
            "fedmerge_contributions_rejected_total", "fedmerge_certificates_issued_total",
            "fedmerge_node_last_seen_seconds");
    private static final java.util.regex.Pattern METRIC =
            java.util.regex.Pattern.compile("\\b((?:fedmerge|jvm|process|disk)_[a-z_]+)\\b");

    @TempDir
    Path dir;

    @Test
    void prometheusReadsFedmergeSeriesFromTheHub() throws Exception {
        String binary = System.getenv("FEDMERGE_TEST_PROMETHEUS");
        if (binary == null) {
            System.err.println("PrometheusScrapeTest SKIPPED: no Prometheus binary (FEDMERGE_TEST_PROMETHEUS unset);"
                    + " ./run-tests installs Debian's prometheus package when it can");
        }
        Assumptions.assumeTrue(binary != null, "no Prometheus binary for this run");
        try (EmbeddedHub hub = EmbeddedHub.start(dir.resolve("hub"), "t", "--spring.main.banner-mode=off")) {
            FederationFixture.enroll(hub, "scraped-node");
            int port = hub.managementPort();
            Path config = Files.writeString(dir.resolve("prometheus.yml"), """
                    global:
                      scrape_interval: 1s
                      evaluation_interval: 1s
                    rule_files:
                      - %s
                    scrape_configs:
                      - job_name: fedmerge-hub
                        metrics_path: /actuator/prometheus
                        static_configs:
                          - targets: ["127.0.0.1:%s"]
                    """.formatted(RULES.toAbsolutePath(), port));
            int web = EmbeddedHub.freePort();
            Process prometheus = new ProcessBuilder(binary, "--config.file=" + config,
                    "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + web)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            try {
                HttpClient http = HttpClient.newHttpClient();
                URI query = URI.create("http://127.0.0.1:" + web + "/api/v1/query?query="
                        + URLEncoder.encode("fedmerge_nodes_enrolled", StandardCharsets.UTF_8));
                // Prometheus starts, then scrapes every second: wait until the series has a value.
                String result = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                        .ignoreException(java.io.IOException.class)
                        .until(() -> http.send(HttpRequest.newBuilder(query).build(),
                                HttpResponse.BodyHandlers.ofString()).body(), body -> body.contains("\"value\""));
                assertThat(result).contains("\"status\":\"success\"", "fedmerge_nodes_enrolled", "\"1\"");
                JsonNode rules = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                        .until(() -> get(http, web, "/api/v1/rules").path("data").path("groups"),
                                groups -> evaluatedRules(groups) == 6);
                for (JsonNode rule : rules.get(0).path("rules")) {
                    assertThat(rule.path("health").asString()).as(rule.path("name").asString()).isEqualTo("ok");
                }
                String scraped = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString()).body();
                for (String expr : dashboardQueries()) {
                    JsonNode answer = get(http, web, "/api/v1/query?query="
                            + URLEncoder.encode(expr, StandardCharsets.UTF_8));
                    assertThat(answer.path("status").asString()).as(expr).isEqualTo("success");
                    for (String metric : metricNames(expr)) {
                        assertThat(LAZY.contains(metric) || scraped.contains("\n" + metric)).as(metric + " in " + expr)
                                .isTrue();
                    }
                }
                assertThat(scraped).contains("process_resident_memory_bytes ", "disk_free_bytes{");
            } finally {
                prometheus.destroy();
                prometheus.waitFor();
            }
        }
    }

    private static JsonNode get(HttpClient http, int port, String path) throws Exception {
        return JsonMapper.builder().build().readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + port + path)).build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    /** Rules Prometheus has evaluated at least once. */
    private static int evaluatedRules(JsonNode groups) {
        int n = 0;
        for (JsonNode group : groups) {
            for (JsonNode rule : group.path("rules")) {
                n += rule.path("lastEvaluation").asString("").startsWith("0001") ? 0 : 1;
            }
        }
        return n;
    }

    static java.util.List<String> dashboardQueries() throws Exception {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (JsonNode panel : JsonMapper.builder().build().readTree(Files.readString(DASHBOARD)).path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                out.add(target.path("expr").asString());
            }
        }
        assertThat(out).hasSizeGreaterThan(10);
        return out;
    }

    static java.util.Set<String> metricNames(String expr) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        java.util.regex.Matcher m = METRIC.matcher(expr);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
