package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.NodeKeys;
import io.fedmerge.hub.pki.NodeCaFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hub with mutual TLS refuses to start on a missing or mismatched node CA, saying what to fix; bad certificate
 * requests are refused before the enrollment token is spent.
 */
class NodeCaMisconfigurationTest {
    @TempDir
    Path dir;

    private String[] mtls(String cert, String key, Path trust) {
        return FederationFixture.concat(TestPki.grpcTls(dir.resolve("hub-hub.p12"), trust), new String[] {
            "--spring.main.banner-mode=off", "--spring.grpc.server.ssl.client-auth=optional",
            "--fedmerge.hub.mtls.enabled=true", "--fedmerge.hub.mtls.ca-certificate=" + cert,
            "--fedmerge.hub.mtls.ca-private-key=" + key});
    }

    @Test
    void aMissingOrMismatchedCaStopsTheHubWithWhatToDo() throws Exception {
        TestPki pki = new TestPki(dir);
        pki.serverPki("hub");
        NodeCaFiles.Created a = NodeCaFiles.create(dir.resolve("ca-a"), "a", Duration.ofDays(1));
        NodeCaFiles.Created b = NodeCaFiles.create(dir.resolve("ca-b"), "b", Duration.ofDays(1));
        Path trust = pki.truststore(a.certificate(), "trust.p12");
        assertThatThrownBy(() -> EmbeddedHub.start(dir.resolve("d1"), "t", mtls("", a.privateKey().toString(),
                trust))).hasStackTraceContaining("fedmerge hub node-ca");
        assertThatThrownBy(() -> EmbeddedHub.start(dir.resolve("d2"), "t", mtls(a.certificate().toString(),
                b.privateKey().toString(), trust))).hasStackTraceContaining("is not the private key of");
        assertThatThrownBy(() -> NodeCaFiles.create(dir.resolve("ca-a"), "again", Duration.ofDays(1)))
                .hasMessageContaining("already exists");
    }

    @Test
    void badCertificateRequestsAreRefusedAndTheTokenStaysUsable() throws Exception {
        TestPki pki = new TestPki(dir);
        Path serverCa = pki.serverPki("hub");
        NodeCaFiles.Created ca = NodeCaFiles.create(dir.resolve("ca"), "ca", Duration.ofDays(1));
        Path trust = pki.truststore(ca.certificate(), "trust.p12");
        try (EmbeddedHub hub = EmbeddedHub.start(dir.resolve("data"), "t", mtls(ca.certificate().toString(),
                ca.privateKey().toString(), trust));
                HubClient c = new HubClient(hub.grpcTarget(), null, serverCa)) {
            String token = hub.admin().post("/api/v1/enrollment-tokens", Map.of("ttlMinutes", 5)).path("token")
                    .asString();
            assertThatThrownBy(() -> c.enroll(token, "n", "not a certificate request"))
                    .hasMessageContaining("INVALID_ARGUMENT").hasMessageContaining("certificate request");
            assertThatThrownBy(() -> c.enroll(token, "n", weakRsaRequest()))
                    .hasMessageContaining("INVALID_ARGUMENT").hasMessageContaining("1024 bits");
            String good = NodeKeys.newRequest("n").csrPem();
            String tampered = good.replace(good.substring(good.length() - 40, good.length() - 30), "AAAAAAAAAA");
            assertThatThrownBy(() -> c.enroll(token, "n", tampered)).hasMessageContaining("INVALID_ARGUMENT");
            // After three refusals the same token still enrolls the node.
            assertThat(c.enroll(token, "n", good).getCertificateChainPemCount()).isEqualTo(2);
        }
    }

    private static String weakRsaRequest() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        var keys = g.generateKeyPair();
        var csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=weak"), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate()));
        var out = new java.io.StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(csr);
        }
        return out.toString();
    }
}
