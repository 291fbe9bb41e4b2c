package io.fedmerge.hub.security;

import static io.fedmerge.hub.security.AdminEndpoints.SUCCESS_OR_REDIRECT;
import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.hub.TestHub;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attack of issue 9: every admin endpoint of the OpenAPI document, through every spelling that once routed past
 * a check made on the raw URI, without a token and with a wrong one. Nothing may ever answer 2xx or 3xx.
 */
class AdminPathSpellingTest {
    @TempDir
    static Path dir;
    static TestHub hub;
    static List<AdminEndpoints.Endpoint> endpoints;

    @BeforeAll
    static void start() {
        hub = TestHub.start(dir);
        endpoints = AdminEndpoints.fromOpenApi(hub);
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void theOpenApiDocumentListsEveryAdminOperation() {
        assertThat(endpoints).extracting(Object::toString).contains("POST /api/v1/enrollment-tokens",
                "GET /api/v1/nodes", "DELETE /api/v1/nodes/0f4c7e1a-53b8-4d3e-9a6e-2b9c1d7e8f00",
                "POST /api/v1/base-models", "POST /api/v1/rounds",
                "PUT /api/v1/base-models/uploads/0f4c7e1a-53b8-4d3e-9a6e-2b9c1d7e8f00/files/"
                        + "0f4c7e1a-53b8-4d3e-9a6e-2b9c1d7e8f00",
                "POST /api/v1/rounds/0f4c7e1a-53b8-4d3e-9a6e-2b9c1d7e8f00/trigger",
                "POST /api/v1/rounds/0f4c7e1a-53b8-4d3e-9a6e-2b9c1d7e8f00/publish",
                "GET /api/v1/audit", "GET /api/v1/audit/export",
                "DELETE /api/v1/certificates/0f4c7e1a-53b8-4d3e-9a6e-2b9c1d7e8f00");
        assertThat(endpoints).allSatisfy(e -> assertThat(e.path()).startsWith("/api/v1/"));
    }

    @Test
    void canonicalPathsWithoutOrWithAWrongTokenAre401ProblemDetails() {
        SoftAssertions soft = new SoftAssertions();
        for (AdminEndpoints.Endpoint e : endpoints) {
            for (String token : new String[] {null, "wrong", "fma_" + "x".repeat(43)}) {
                RawHttp.Response r = RawHttp.send(hub.httpPort(), e.method(), e.path(), token);
                soft.assertThat(r.status()).as("%s with token %s", e, token).isEqualTo(401);
                soft.assertThat(r.contentType()).as("%s", e).startsWith("application/problem+json");
                soft.assertThat(r.body()).as("%s", e).contains("\"status\":401", "\"reason\":\"unauthenticated\"");
            }
        }
        soft.assertAll();
    }

    @Test
    void noSpellingOfAnAdminPathIsEverServedWithoutTheToken() {
        SoftAssertions soft = new SoftAssertions();
        int sent = 0;
        for (AdminEndpoints.Endpoint e : endpoints) {
            for (AdminEndpoints.Spelling s : AdminEndpoints.spellings(e.path())) {
                for (String token : new String[] {null, "wrong"}) {
                    int status = RawHttp.send(hub.httpPort(), e.method(), s.path(), token).status();
                    soft.assertThat(status).as("%s %s (%s) with token %s", e.method(), s.path(), s.name(), token)
                            .isNotIn(SUCCESS_OR_REDIRECT);
                    sent++;
                }
            }
        }
        soft.assertAll();
        assertThat(sent).isGreaterThan(endpoints.size() * 30);
    }

    @Test
    void aPathNotInCanonicalFormIs400EvenWithTheRightTokenAndNeverRouted() {
        SoftAssertions soft = new SoftAssertions();
        for (AdminEndpoints.Endpoint e : endpoints) {
            for (AdminEndpoints.Spelling s : AdminEndpoints.spellings(e.path())) {
                RawHttp.Response r = RawHttp.send(hub.httpPort(), e.method(), s.path(), TestHub.ADMIN_TOKEN);
                soft.assertThat(r.status()).as("%s %s (%s)", e.method(), s.path(), s.name()).isNotIn(SUCCESS_OR_REDIRECT);
                if (s.rejectedBy() != AdminEndpoints.RejectedBy.NONE) {
                    soft.assertThat(r.status()).as("%s %s (%s)", e.method(), s.path(), s.name()).isEqualTo(400);
                    // The refusal never echoes the path it refused.
                    soft.assertThat(r.body()).as("%s", s.path()).doesNotContain(s.path());
                }
                if (s.rejectedBy() == AdminEndpoints.RejectedBy.FIREWALL) {
                    soft.assertThat(r.contentType()).as("%s", s.path()).startsWith("application/problem+json");
                    soft.assertThat(r.body()).as("%s", s.path()).contains("not in canonical form");
                }
            }
        }
        soft.assertAll();
    }

    @Test
    void theConsolesOwnFilesAloneAreServedWithoutACredentialAndUnderAContentSecurityPolicy() {
        for (String path : new String[] {"/console/", "/console/index.html", "/console/console.js",
            "/console/console.css", "/console/favicon.svg"}) {
            RawHttp.Response r = RawHttp.send(hub.httpPort(), "GET", path, null);
            assertThat(r.status()).as(path).isEqualTo(200);
        }
        assertThat(RawHttp.send(hub.httpPort(), "GET", "/console", null).status()).isEqualTo(302);
        assertThat(RawHttp.headers(hub.httpPort(), "/console/index.html"))
                .contains("Content-Security-Policy: default-src 'self'; script-src 'self'");
        for (String path : new String[] {"/console/other.js", "/console/../api/v1/nodes",
            "/console/%2e%2e/api/v1/nodes", "/application.yaml", "/static/console/index.html"}) {
            assertThat(RawHttp.send(hub.httpPort(), "GET", path, null).status()).as(path).isIn(400, 401);
        }
        assertThat(RawHttp.send(hub.httpPort(), "POST", "/console/index.html", null).status()).isIn(401, 403);
    }

    @Test
    void pathsNoRuleNamesAreRefusedEvenWithTheToken() {
        for (String path : new String[] {"/", "/error", "/actuator/health", "/actuator/prometheus", "/actuator",
                "/api/v2/nodes", "/v3/api-docs.yaml/../x", "/swagger-ui.html", "/h2-console"}) {
            assertThat(RawHttp.send(hub.httpPort(), "GET", path, null).status()).as(path).isIn(400, 401);
            assertThat(RawHttp.send(hub.httpPort(), "GET", path, TestHub.ADMIN_TOKEN).status()).as(path)
                    .isIn(400, 403, 404);
        }
    }
}
