package io.fedmerge.hub.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.hub.TestHub;
import io.fedmerge.hub.TestIdp;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every operation of the admin API against every role, from the table below (docs/SECURITY.md has the same one):
 * an allowed role is never refused by the filter chain (401/403), any other is refused with 403. An operation the
 * OpenAPI document gains without a row here fails the test, so a new endpoint cannot ship unclassified.
 */
class RoleAccessTest {
    private static final String N = "network-admin";
    private static final String S = "site-admin";
    private static final String A = "auditor";
    private static final String ID = "0f4c7e1a-53b8-4d3e-9a6e-2b9c1d7e8f00";

    /** Operation → the roles allowed to call it. */
    private static final Map<String, Set<String>> TABLE = table(
            "POST /api/v1/enrollment-tokens", Set.of(N, S),
            "GET /api/v1/enrollment-tokens", Set.of(N, S, A),
            "DELETE /api/v1/enrollment-tokens/" + ID, Set.of(N, S),
            "GET /api/v1/nodes", Set.of(N, S, A),
            "DELETE /api/v1/nodes/" + ID, Set.of(N, S),
            "GET /api/v1/nodes/" + ID + "/certificates", Set.of(N, S, A),
            "DELETE /api/v1/certificates/" + ID, Set.of(N, S),
            "POST /api/v1/base-models", Set.of(N),
            "GET /api/v1/base-models", Set.of(N, S, A),
            "POST /api/v1/base-models/uploads", Set.of(N),
            "GET /api/v1/base-models/uploads/" + ID, Set.of(N, A),
            "PUT /api/v1/base-models/uploads/" + ID + "/files/" + ID, Set.of(N),
            "POST /api/v1/base-models/uploads/" + ID + "/complete", Set.of(N),
            "DELETE /api/v1/base-models/uploads/" + ID, Set.of(N),
            "POST /api/v1/rounds", Set.of(N),
            "GET /api/v1/rounds", Set.of(N, S, A),
            "GET /api/v1/rounds/" + ID, Set.of(N, S, A),
            "POST /api/v1/rounds/" + ID + "/trigger", Set.of(N),
            "POST /api/v1/rounds/" + ID + "/retry", Set.of(N),
            "POST /api/v1/rounds/" + ID + "/publish", Set.of(N),
            "POST /api/v1/rounds/" + ID + "/cancel", Set.of(N),
            "GET /api/v1/rounds/" + ID + "/artifact", Set.of(N, S, A),
            "GET /api/v1/rounds/" + ID + "/units", Set.of(N, S, A),
            "GET /api/v1/rounds/" + ID + "/contributions", Set.of(N, S, A),
            "GET /api/v1/rounds/" + ID + "/events", Set.of(N, S, A),
            "GET /api/v1/audit", Set.of(N, A),
            "GET /api/v1/me", Set.of(N, S, A),
            "GET /api/v1/merge-methods", Set.of(N, S, A),
            "GET /api/v1/audit/export", Set.of(N, A));

    @TempDir
    static Path dir;
    static TestIdp idp;
    static TestHub hub;
    static Map<String, String> tokens;

    @BeforeAll
    static void start() {
        idp = new TestIdp();
        hub = TestHub.start(dir, idp.hubSettings());
        tokens = new LinkedHashMap<>();
        tokens.put(N, idp.token("net.admin", null, N));
        tokens.put(S, idp.token("site.admin", "north", S));
        tokens.put(A, idp.token("the.auditor", null, A));
        tokens.put("no fedmerge role", idp.token("a.clinician", "north", "clinician"));
    }

    @AfterAll
    static void stop() {
        hub.close();
        idp.close();
    }

    @Test
    void theTableClassifiesExactlyTheOperationsOfTheApi() {
        assertThat(AdminEndpoints.fromOpenApi(hub)).extracting(Object::toString)
                .containsExactlyInAnyOrderElementsOf(TABLE.keySet());
    }

    @Test
    void eachRoleMayCallExactlyItsOperations() {
        SoftAssertions soft = new SoftAssertions();
        for (Map.Entry<String, Set<String>> row : TABLE.entrySet()) {
            String[] op = row.getKey().split(" ", 2);
            for (Map.Entry<String, String> role : tokens.entrySet()) {
                RawHttp.Response r = RawHttp.send(hub.httpPort(), op[0], op[1], role.getValue());
                if (row.getValue().contains(role.getKey())) {
                    soft.assertThat(r.status()).as("%s as %s", row.getKey(), role.getKey()).isNotIn(401, 403);
                } else {
                    soft.assertThat(r.status()).as("%s as %s", row.getKey(), role.getKey()).isEqualTo(403);
                    soft.assertThat(r.body()).as("%s as %s", row.getKey(), role.getKey())
                            .contains("\"reason\":\"permission_denied\"");
                }
            }
        }
        soft.assertAll();
    }

    @Test
    void theOpenApiDocumentIsReadableByEveryRoleAndActuatorOnlyByNetworkAdmins() {
        for (String role : List.of(N, S, A)) {
            assertThat(RawHttp.send(hub.httpPort(), "GET", "/v3/api-docs", tokens.get(role)).status()).as(role)
                    .isEqualTo(200);
        }
        assertThat(RawHttp.send(hub.httpPort(), "GET", "/v3/api-docs", tokens.get("no fedmerge role")).status())
                .isEqualTo(403);
        assertThat(RawHttp.send(hub.managementPort(), "GET", "/actuator/metrics", tokens.get(N)).status())
                .isEqualTo(200);
        for (String role : List.of(S, A, "no fedmerge role")) {
            assertThat(RawHttp.send(hub.managementPort(), "GET", "/actuator/metrics", tokens.get(role)).status())
                    .as(role).isEqualTo(403);
        }
    }

    private static Map<String, Set<String>> table(Object... rows) {
        Map<String, Set<String>> t = new LinkedHashMap<>();
        for (int i = 0; i < rows.length; i += 2) {
            @SuppressWarnings("unchecked")
            Set<String> roles = (Set<String>) rows[i + 1];
            t.put((String) rows[i], roles);
        }
        return t;
    }
}
