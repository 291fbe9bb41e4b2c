package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.proto.v1.EnrollResponse;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A hub serving gRPC and the admin API over TLS from a Spring SSL bundle; edges trust its CA. */
class TlsHubTest {
    @TempDir
    Path dir;

    private void keytool(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
                "keytool").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }

    /** A CA and a server certificate for 127.0.0.1 signed by it; returns the CA's PEM. */
    private Path pki(String prefix) throws Exception {
        String pw = "changeit";
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=" + prefix + "-ca", "-ext", "bc:c", "-validity", "2", "-keystore", prefix + "-ca.p12",
                "-storepass", pw, "-storetype", "PKCS12");
        keytool("-exportcert", "-alias", "ca", "-keystore", prefix + "-ca.p12", "-storepass", pw, "-rfc", "-file",
                prefix + "-ca.pem");
        keytool("-genkeypair", "-alias", "hub", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-validity", "2", "-keystore", prefix + "-hub.p12", "-storepass", pw, "-storetype", "PKCS12");
        keytool("-certreq", "-alias", "hub", "-keystore", prefix + "-hub.p12", "-storepass", pw, "-file",
                prefix + "-hub.csr");
        keytool("-gencert", "-alias", "ca", "-keystore", prefix + "-ca.p12", "-storepass", pw, "-infile",
                prefix + "-hub.csr", "-outfile", prefix + "-hub.pem", "-rfc", "-ext", "san=ip:127.0.0.1,dns:localhost",
                "-validity", "2");
        keytool("-importcert", "-alias", "ca", "-keystore", prefix + "-hub.p12", "-storepass", pw, "-file",
                prefix + "-ca.pem", "-noprompt");
        keytool("-importcert", "-alias", "hub", "-keystore", prefix + "-hub.p12", "-storepass", pw, "-file",
                prefix + "-hub.pem");
        return dir.resolve(prefix + "-ca.pem");
    }

    private static SSLContext trusting(Path caPem) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    @Test
    void edgesThatTrustTheCaGetInPlaintextAndForeignCaClientsDoNot() throws Exception {
        Path ca = pki("hub");
        Path otherCa = pki("other");
        try (EmbeddedHub hub = EmbeddedHub.start(dir.resolve("data"), "tls-admin", "--spring.main.banner-mode=off",
                "--spring.ssl.bundle.jks.hub.keystore.location=file:" + dir.resolve("hub-hub.p12"),
                "--spring.ssl.bundle.jks.hub.keystore.password=changeit",
                "--spring.ssl.bundle.jks.hub.keystore.type=PKCS12", "--spring.ssl.bundle.jks.hub.key.alias=hub",
                "--spring.grpc.server.ssl.bundle=hub", "--server.ssl.bundle=hub")) {
            String port = hub.context().getEnvironment().getProperty("local.server.port");
            AdminApi admin = new AdminApi("https://127.0.0.1:" + port, "tls-admin", trusting(ca));
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
