package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.NodeKeys;
import io.fedmerge.proto.v1.EnrollResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A hub serving gRPC and the admin API over TLS from a Spring SSL bundle; edges trust its CA. */
class TlsHubTest {
    @TempDir
    Path dir;

    @Test
    void edgesThatTrustTheCaGetInPlaintextAndForeignCaClientsDoNot() throws Exception {
        TestPki pki = new TestPki(dir);
        Path ca = pki.serverPki("hub");
        Path otherCa = pki.serverPki("other");
        String[] args = FederationFixture.concat(TestPki.grpcTls(dir.resolve("hub-hub.p12"), null),
                new String[] {"--spring.main.banner-mode=off", "--server.ssl.bundle=hub"});
        try (EmbeddedHub hub = EmbeddedHub.start(dir.resolve("data"), "tls-admin", args)) {
            String port = hub.context().getEnvironment().getProperty("local.server.port");
            AdminApi admin = new AdminApi("https://127.0.0.1:" + port, "tls-admin", TestPki.trusting(ca));
            String token = admin.post("/api/v1/enrollment-tokens", Map.of("ttlMinutes", 5)).path("token").asString();
            assertThatThrownBy(() -> new AdminApi("http://127.0.0.1:" + port, "tls-admin").get("/api/v1/nodes"))
                    .hasMessageContaining("400");

            try (HubClient plaintext = new HubClient(hub.grpcTarget(), null, 1, 10)) {
                assertThatThrownBy(() -> plaintext.enroll(token, "plain")).hasMessageContaining("UNAVAILABLE");
            }
            try (HubClient foreign = new HubClient(hub.grpcTarget(), null, otherCa)) {
                assertThatThrownBy(() -> foreign.enroll(token, "foreign")).hasMessageContaining("UNAVAILABLE");
            }
            EnrollResponse r;
            try (HubClient tls = new HubClient(hub.grpcTarget(), null, ca)) {
                // This hub has no node CA: a certificate request is refused before the token is spent.
                assertThatThrownBy(() -> tls.enroll(token, "tls-node", NodeKeys.newRequest("tls-node").csrPem()))
                        .hasMessageContaining("does not issue client certificates");
                r = tls.enroll(token, "tls-node");
            }
            EdgeConfig cfg = new EdgeConfig(hub.grpcTarget(), r.getNodeId(), "tls-node", r.getCredential(),
                    ca.toString());
            assertThatThrownBy(() -> {
                try (HubClient c = cfg.client()) {
                    c.round("no-such-round");
                }
            }).hasMessageContaining("NOT_FOUND"); // authenticated over TLS; the round simply does not exist
            assertThat(admin.get("/api/v1/nodes").toString()).contains("tls-node");
        }
    }
}
