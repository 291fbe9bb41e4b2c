package io.fedmerge.hub.admin;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import io.fedmerge.hub.HubException;
import io.fedmerge.hub.model.BaseModelRegistry;
import io.fedmerge.hub.model.BaseUploads;
import io.fedmerge.hub.node.Node;
import io.fedmerge.hub.node.NodeRegistry;
import io.fedmerge.hub.pki.NodeCertificates;
import io.fedmerge.hub.round.Evaluations;
import io.fedmerge.hub.round.RoundService;
import io.fedmerge.hub.round.UnitReports;
import io.fedmerge.hub.security.AdminTokens;
import io.fedmerge.hub.security.AuthProperties;
import io.fedmerge.hub.transfer.UploadService;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;
import org.springframework.context.annotation.Import;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.RequestBuilder;

/**
 * The admin API's web layer alone (a {@code @WebMvcTest} slice with the hub's real security chain and problem
 * mapping): requests are validated before a service sees them, the authenticated admin is the actor the services
 * are given, service errors become RFC 9457 problems with their status, and no call without the credential
 * reaches a service. The services and the credential store are stand-ins here; the whole hub, with its database,
 * is what the other packages' tests start.
 */
@WebMvcTest(controllers = AdminController.class, includeFilters = @ComponentScan.Filter(
        type = FilterType.REGEX, pattern = "io\\.fedmerge\\.hub\\.security\\.HttpSecurityConfig"))
@Import({AdminApiSliceTest.WebSecurity.class, RoundAccess.class})
class AdminApiSliceTest {
    /** Spring Security's own set-up, which the slice does not bring by itself; the hub's chain is its real one. */
    @TestConfiguration
    @EnableWebSecurity
    @EnableConfigurationProperties(AuthProperties.class)
    static class WebSecurity {}

    static final String TOKEN = "fma_slice-test-token";

    @Autowired
    MockMvc http;

    @MockitoBean
    AdminTokens tokens;
    @MockitoBean
    NodeRegistry nodes;
    @MockitoBean
    BaseModelRegistry bases;
    @MockitoBean
    RoundService rounds;
    @MockitoBean
    NodeCertificates certificates;
    @MockitoBean
    UploadService uploads;
    @MockitoBean
    Evaluations evaluations;
    @MockitoBean
    UnitReports unitReports;
    @MockitoBean
    BaseUploads baseUploads;

    @BeforeEach
    void credential() {
        when(tokens.isValid(anyString())).thenReturn(false);
        when(tokens.isValid(TOKEN)).thenReturn(true);
    }

    @Test
    void aTokenLifetimeOutOfRangeIsAProblemAndNoTokenIsIssued() throws Exception {
        http.perform(post("/api/v1/enrollment-tokens").header("Authorization", "Bearer " + TOKEN)
                        .contentType(MediaType.APPLICATION_JSON).content("{\"ttlMinutes\": 0}"))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.reason").value("bad_ttl"))
                .andExpect(jsonPath("$.detail").value("ttlMinutes must be between 1 and 43200, found 0"));
        verifyNoInteractions(nodes);
    }

    @Test
    void theAuthenticatedAdminIsTheActorTheServiceRecords() throws Exception {
        when(nodes.issueToken(any(), any(), any(), any())).thenReturn(new NodeRegistry.IssuedToken("t1", "fmt_x",
                Instant.parse("2026-12-07T00:00:00Z")));
        http.perform(post("/api/v1/enrollment-tokens").header("Authorization", "Bearer " + TOKEN)
                        .contentType(MediaType.APPLICATION_JSON).content("{\"ttlMinutes\": 90, \"note\": \"ward 3\"}"))
                .andExpect(status().isCreated())
                .andExpect(jsonPath("$.id").value("t1"))
                .andExpect(jsonPath("$.token").value("fmt_x"));
        verify(nodes).issueToken(eq(Duration.ofMinutes(90)), eq("ward 3"), isNull(), eq("bootstrap-token"));
    }

    @Test
    void serviceErrorsBecomeProblemsWithTheirStatusAndReason() throws Exception {
        when(rounds.get("r-404")).thenThrow(HubException.notFound("no round r-404"));
        http.perform(get("/api/v1/rounds/r-404").header("Authorization", "Bearer " + TOKEN))
                .andExpect(status().isNotFound())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.detail").value("no round r-404"))
                .andExpect(jsonPath("$.reason").value("not_found"));
        when(rounds.trigger("r-busy", "bootstrap-token")).thenThrow(HubException.precondition("not_open",
                "round r-busy is MERGING"));
        http.perform(post("/api/v1/rounds/r-busy/trigger").header("Authorization", "Bearer " + TOKEN))
                .andExpect(status().isConflict())
                .andExpect(jsonPath("$.reason").value("not_open"));
        when(rounds.trigger("r-disk", "bootstrap-token")).thenThrow(HubException.unavailable("disk_full", "no room"));
        http.perform(post("/api/v1/rounds/r-disk/trigger").header("Authorization", "Bearer " + TOKEN))
                .andExpect(status().isServiceUnavailable());
    }

    @Test
    void withoutTheCredentialNoCallReachesAService() throws Exception {
        RequestBuilder[] refused = {get("/api/v1/nodes"), delete("/api/v1/nodes/n1"),
            post("/api/v1/rounds/r1/trigger"), get("/api/v1/nodes").header("Authorization", "Bearer fma_wrong"),
            get("/api/v1/nodes").header("Authorization", "Basic YWRtaW46YWRtaW4=")};
        for (RequestBuilder request : refused) {
            http.perform(request).andExpect(status().isUnauthorized())
                    .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON));
        }
        verifyNoInteractions(nodes, rounds, uploads, certificates);
    }

    @Test
    void revokingANodeAlsoRevokesItsCertificatesAndEndsItsUploads() throws Exception {
        when(nodes.node("n1")).thenReturn(Optional.of(new Node("n1", "st-mary", null, Instant.EPOCH, null, false)));
        http.perform(delete("/api/v1/nodes/n1").header("Authorization", "Bearer " + TOKEN))
                .andExpect(status().isNoContent());
        verify(nodes).revoke("n1", "bootstrap-token");
        verify(certificates).revokeAll("n1", "bootstrap-token");
        verify(uploads).discardOpenUploads("n1");
    }
}
