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

/** A real Prometheus (Debian's) scrapes a running hub, and a fedmerge_ series comes back through its HTTP API. */
class PrometheusScrapeTest {
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
                    scrape_configs:
                      - job_name: fedmerge-hub
                        metrics_path: /actuator/prometheus
                        static_configs:
                          - targets: ["127.0.0.1:%s"]
                    """.formatted(port));
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
            } finally {
                prometheus.destroy();
                prometheus.waitFor();
            }
        }
    }
}
