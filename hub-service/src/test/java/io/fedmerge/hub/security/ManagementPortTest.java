package io.fedmerge.hub.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.hub.TestHub;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Actuator lives on the management port: the probes and the Prometheus scrape are anonymous there, every other
 * endpoint needs the admin token, and the main port serves nothing under /actuator.
 */
class ManagementPortTest {
    @TempDir
    static Path dir;
    static TestHub hub;

    @BeforeAll
    static void start() {
        hub = TestHub.start(dir);
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void probesAndTheScrapeAreAnonymousOnTheManagementPort() {
        for (String path : new String[] {"/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness"}) {
            RawHttp.Response r = RawHttp.send(hub.managementPort(), "GET", path, null);
            assertThat(r.status()).as(path).isEqualTo(200);
            assertThat(r.body()).as(path).contains("\"UP\"");
        }
        RawHttp.Response scrape = RawHttp.send(hub.managementPort(), "GET", "/actuator/prometheus", null);
        assertThat(scrape.status()).isEqualTo(200);
        assertThat(scrape.body()).contains("fedmerge_nodes_enrolled");
    }

    @Test
    void otherActuatorEndpointsNeedTheAdminToken() {
        for (String path : new String[] {"/actuator/metrics", "/actuator/info", "/actuator"}) {
            assertThat(RawHttp.send(hub.managementPort(), "GET", path, null).status()).as(path).isEqualTo(401);
            assertThat(RawHttp.send(hub.managementPort(), "GET", path, "wrong").status()).as(path).isEqualTo(401);
        }
        assertThat(RawHttp.send(hub.managementPort(), "GET", "/actuator/metrics", TestHub.ADMIN_TOKEN).status())
                .isEqualTo(200);
    }

    @Test
    void theManagementPortServesNoAdminApiAndTheMainPortNoActuator() {
        assertThat(RawHttp.send(hub.managementPort(), "GET", "/api/v1/nodes", TestHub.ADMIN_TOKEN).status())
                .isIn(403, 404);
        assertThat(RawHttp.send(hub.httpPort(), "GET", "/actuator/health", null).status()).isEqualTo(401);
        assertThat(RawHttp.send(hub.httpPort(), "GET", "/actuator/health", TestHub.ADMIN_TOKEN).status())
                .isIn(403, 404);
    }

    @Test
    void theManagementPortListensOnLoopbackByDefault() {
        assertThat(hub.bean(org.springframework.core.env.Environment.class)
                .getProperty("management.server.address")).isEqualTo("127.0.0.1");
    }
}
