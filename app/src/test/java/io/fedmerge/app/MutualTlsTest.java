package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.fedmerge.edge.CertificateRenewer;
import io.fedmerge.edge.ClientIdentity;
import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.hub.pki.NodeCaFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Mutual TLS with the hub as node CA: edges enroll with a CSR through the real CLI, every call needs the hub-issued
 * certificate of the calling node, and revocation, foreign CAs, stolen certificates and renewal behave.
 */
class MutualTlsTest {
    private static final Duration VALIDITY = Duration.ofHours(1);

    @TempDir
    Path dir;

    private static void works(EdgeConfig node) {
        assertThatThrownBy(() -> {
            try (HubClient c = node.client()) {
                c.round("no-such-round");
            }
        }).as("authenticated, so the hub looks for the round").hasMessageContaining("NOT_FOUND");
    }

    private static void refused(EdgeConfig node, String... fragments) {
        assertThatThrownBy(() -> {
            try (HubClient c = node.client()) {
                c.round("no-such-round");
            }
        }).hasMessageContaining("UNAUTHENTICATED").hasMessageContaining(String.join("", fragments));
    }

    /** Opens a watch stream, revokes, and expects the open stream to end UNAUTHENTICATED within a few keep-alives. */
    private static void watchEndsWhen(EdgeConfig node, Runnable revoke, String fragment) {
        try (HubClient c = node.client()) {
            var events = c.watch(Long.MAX_VALUE - 1);
            assertThat(events.next().getKeepalive()).as("the stream is open").isTrue();
            revoke.run();
            assertTimeoutPreemptively(Duration.ofSeconds(15), () -> assertThatThrownBy(() -> {
                while (events.hasNext()) {
                    events.next();
                }
            }).hasMessageContaining("UNAUTHENTICATED").hasMessageContaining(fragment));
        }
    }

    private static String stdout(Runnable r) {
        var out = System.out;
        var buf = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(buf, true));
        try {
            r.run();
        } finally {
            System.setOut(out);
        }
        return buf.toString();
    }

    private static int cli(String... args) {
        return Fedmerge.commandLine().execute(args);
    }

    @Test
    void onlyHubIssuedUnrevokedCertificatesOfTheCallingNodeGetIn() throws Exception {
        TestPki pki = new TestPki(dir);
        Path serverCa = pki.serverPki("hub");
        NodeCaFiles.Created nodeCa = NodeCaFiles.create(dir.resolve("node-ca"), "test node CA", Duration.ofDays(1));
        Path trust = pki.truststore(nodeCa.certificate(), "nodes-trust.p12");
        String[] args = FederationFixture.concat(TestPki.grpcTls(dir.resolve("hub-hub.p12"), trust), new String[] {
            "--spring.main.banner-mode=off", "--spring.grpc.server.ssl.client-auth=optional",
            "--fedmerge.hub.mtls.enabled=true", "--fedmerge.hub.mtls.ca-certificate=" + nodeCa.certificate(),
            "--fedmerge.hub.mtls.ca-private-key=" + nodeCa.privateKey(),
            "--fedmerge.hub.mtls.certificate-validity=" + VALIDITY, "--fedmerge.hub.keepalive-seconds=1"});
        try (EmbeddedHub hub = EmbeddedHub.start(dir.resolve("data"), "mtls-admin", args)) {
            String token = hub.admin().post("/api/v1/enrollment-tokens", Map.of("ttlMinutes", 5)).path("token")
                    .asString();
            // Without a CSR this hub refuses, and the token stays unspent for a second try with one.
            var err = new java.io.StringWriter();
            CommandLine cmd = Fedmerge.commandLine().setErr(new java.io.PrintWriter(err));
            assertThat(cmd.execute("edge", "enroll", "--hub", hub.grpcTarget(), "--token", token, "--name", "alpha",
                    "--ca", serverCa.toString(), "--config", dir.resolve("alpha.json").toString())).isOne();
            assertThat(err.toString()).contains("requires mutual TLS").contains("--mtls");
            EdgeConfig alpha = enroll(hub, serverCa, "alpha", token);
            EdgeConfig beta = enroll(hub, serverCa, "beta", null);
            assertThat(alpha.identity().certificate().getSubjectX500Principal().getName())
                    .contains("CN=" + alpha.nodeId());
            assertThat(Files.getPosixFilePermissions(alpha.identity().privateKey()).toString())
                    .isEqualTo("[OWNER_READ, OWNER_WRITE]");
            works(alpha);
            works(beta);
            String status = stdout(() -> cli("edge", "status", "--json", "--config",
                    dir.resolve("beta.json").toString()));
            assertThat(status).contains("\"certificate_serial\" : \""
                    + beta.identity().certificate().getSerialNumber().toString(16))
                    .contains("\"certificate_expires\"");

            // The credential alone is not enough, nor a certificate of another node or from another CA.
            refused(new EdgeConfig(alpha.hub(), alpha.nodeId(), alpha.nodeName(), alpha.credential(),
                    alpha.caFile()), "requires a client certificate");
            refused(alpha.withIdentity(beta.identity()), "was not issued to this node");
            NodeCaFiles.Created foreignCa = NodeCaFiles.create(dir.resolve("foreign-ca"), "foreign",
                    Duration.ofDays(1));
            ClientIdentity forged = pki.clientCertificateFrom(foreignCa, alpha.nodeId(), "forged");
            assertThatThrownBy(() -> {
                try (HubClient c = alpha.withIdentity(forged).client()) {
                    c.round("no-such-round");
                }
            }).as("a certificate the node CA did not sign gets nowhere: the TLS client withholds it (the hub's"
                    + " certificate request names only the node CA) or the handshake fails")
                    .hasMessageMatching("(?s).*(UNAUTHENTICATED|UNAVAILABLE).*");

            // Renewal: not due early; due after two thirds of the lifetime, giving a new key and certificate.
            Path alphaFile = dir.resolve("alpha.json");
            var oldKey = alpha.identity().certificate().getPublicKey();
            assertThat(CertificateRenewer.renewIfDue(alpha, alphaFile, Instant.now())).isSameAs(alpha);
            EdgeConfig renewed = CertificateRenewer.renewIfDue(alpha, alphaFile,
                    Instant.now().plus(VALIDITY.multipliedBy(7).dividedBy(10)));
            assertThat(renewed.clientCertificate()).isNotEqualTo(alpha.clientCertificate());
            assertThat(alpha.identity().privateKey()).as("the old key is gone").doesNotExist();
            assertThat(EdgeConfig.load(alphaFile)).isEqualTo(renewed);
            assertThat(renewed.identity().certificate().getPublicKey()).as("a new key").isNotEqualTo(oldKey);
            works(renewed);
            assertThat(cli("edge", "renew", "--config", alphaFile.toString())).isZero();
            EdgeConfig renewedByCli = EdgeConfig.load(alphaFile);
            assertThat(renewedByCli.clientCertificate()).isNotEqualTo(renewed.clientCertificate());
            works(renewedByCli);
            assertThat(hub.admin().get("/api/v1/nodes/" + alpha.nodeId() + "/certificates").size()).isEqualTo(3);
            assertThatThrownBy(() -> CertificateRenewer.renew(renewedByCli, alphaFile, Instant.now().plus(
                    Duration.ofDays(2)))).hasMessageContaining("expired").hasMessageContaining("enroll again");

            // Revoking one certificate refuses it on the next call, and ends a watch stream already open with it.
            String serial = renewedByCli.identity().certificate().getSerialNumber().toString(16);
            watchEndsWhen(renewedByCli, () -> hub.admin().delete("/api/v1/certificates/" + serial), "revoked");
            refused(renewedByCli, "revoked");
            // Revoking a node refuses it (open streams included), and marks every certificate it had as revoked.
            watchEndsWhen(beta, () -> hub.admin().delete("/api/v1/nodes/" + beta.nodeId()), "revoked");
            refused(beta, "");
            String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(hub.managementUrl() + "/actuator/prometheus")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("fedmerge_certificates_issued_total").containsPattern(
                    "fedmerge_calls_refused_total\\{[^}]*reason=\"certificate\"[^}]*\\} [1-9]")
                    .contains("fedmerge_certificates_expiring");
            var certs = hub.admin().get("/api/v1/nodes/" + beta.nodeId() + "/certificates");
            assertThat(certs.size()).isEqualTo(1);
            assertThat(certs.get(0).path("revokedAt").asString()).startsWith(Instant.now().toString().substring(0, 4));
        }
    }

    /** Enrolls through the CLI with --mtls (minting a token when none is given). */
    private Path writeToken(String name, String token) {
        try {
            return Files.writeString(dir.resolve(name + ".token"), token);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private EdgeConfig enroll(EmbeddedHub hub, Path serverCa, String name, String token) {
        String t = token != null ? token
                : hub.admin().post("/api/v1/enrollment-tokens", Map.of("ttlMinutes", 5)).path("token").asString();
        Path config = dir.resolve(name + ".json");
        Path tokenFile = writeToken(name, t);
        assertThat(cli("edge", "enroll", "--hub", hub.grpcTarget(), "--token-file", tokenFile.toString(), "--name",
                name, "--ca",
                serverCa.toString(), "--mtls", "--config", config.toString())).isZero();
        return EdgeConfig.load(config);
    }
}
