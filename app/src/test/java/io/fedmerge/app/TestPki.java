package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.edge.ClientIdentity;
import io.fedmerge.edge.NodeKeys;
import io.fedmerge.hub.pki.NodeCaFiles;
import io.fedmerge.hub.pki.Pem;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Test certificates: server PKI made with the JDK's keytool, and client certificates from any CA. */
final class TestPki {
    static final String PASSWORD = "changeit";
    private final Path dir;

    TestPki(Path dir) {
        this.dir = dir;
    }

    Path path(String name) {
        return dir.resolve(name);
    }

    void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool")
                .toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }

    /**
     * A CA and a server certificate for 127.0.0.1 signed by it, in {@code <prefix>-hub.p12} (alias hub); returns
     * the CA's PEM.
     */
    Path serverPki(String prefix) throws Exception {
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=" + prefix + "-ca", "-ext", "bc:c", "-validity", "2", "-keystore", prefix + "-ca.p12",
                "-storepass", PASSWORD, "-storetype", "PKCS12");
        keytool("-exportcert", "-alias", "ca", "-keystore", prefix + "-ca.p12", "-storepass", PASSWORD, "-rfc",
                "-file", prefix + "-ca.pem");
        keytool("-genkeypair", "-alias", "hub", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-validity", "2", "-keystore", prefix + "-hub.p12", "-storepass", PASSWORD, "-storetype", "PKCS12");
        keytool("-certreq", "-alias", "hub", "-keystore", prefix + "-hub.p12", "-storepass", PASSWORD, "-file",
                prefix + "-hub.csr");
        keytool("-gencert", "-alias", "ca", "-keystore", prefix + "-ca.p12", "-storepass", PASSWORD, "-infile",
                prefix + "-hub.csr", "-outfile", prefix + "-hub.pem", "-rfc", "-ext",
                "san=ip:127.0.0.1,dns:localhost", "-validity", "2");
        keytool("-importcert", "-alias", "ca", "-keystore", prefix + "-hub.p12", "-storepass", PASSWORD, "-file",
                prefix + "-ca.pem", "-noprompt");
        keytool("-importcert", "-alias", "hub", "-keystore", prefix + "-hub.p12", "-storepass", PASSWORD, "-file",
                prefix + "-hub.pem");
        return dir.resolve(prefix + "-ca.pem");
    }

    /** A PKCS#12 truststore holding one PEM certificate. */
    Path truststore(Path certPem, String name) throws Exception {
        keytool("-importcert", "-alias", "trusted", "-keystore", name, "-storepass", PASSWORD, "-storetype", "PKCS12",
                "-file", certPem.toAbsolutePath().toString(), "-noprompt");
        return dir.resolve(name);
    }

    /** Hub arguments for a gRPC server bundle from {@code keystore} (alias hub), trusting {@code truststore}. */
    static String[] grpcTls(Path keystore, Path truststore) {
        List<String> a = new ArrayList<>(List.of("--spring.ssl.bundle.jks.hub.keystore.location=file:" + keystore,
                "--spring.ssl.bundle.jks.hub.keystore.password=" + PASSWORD,
                "--spring.ssl.bundle.jks.hub.keystore.type=PKCS12", "--spring.ssl.bundle.jks.hub.key.alias=hub",
                "--spring.grpc.server.ssl.bundle=hub"));
        if (truststore != null) {
            a.addAll(List.of("--spring.ssl.bundle.jks.hub.truststore.location=file:" + truststore,
                    "--spring.ssl.bundle.jks.hub.truststore.password=" + PASSWORD,
                    "--spring.ssl.bundle.jks.hub.truststore.type=PKCS12"));
        }
        return a.toArray(String[]::new);
    }

    static SSLContext trusting(Path caPem) throws Exception {
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

    /** A client certificate naming {@code nodeId}, signed by an arbitrary CA (not the hub's). */
    ClientIdentity clientCertificateFrom(NodeCaFiles.Created ca, String nodeId, String stem) throws Exception {
        NodeKeys.Request request = NodeKeys.newRequest(stem);
        Instant now = Instant.now();
        var builder = new JcaX509v3CertificateBuilder(ca.ca(), BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(Duration.ofMinutes(1))), Date.from(now.plus(Duration.ofHours(1))),
                new X500Name("CN=" + nodeId + ",O=fedmerge node"), request.keys().getPublic());
        var key = Pem.privateKey(Files.readString(ca.privateKey()));
        var cert = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA384withECDSA").build(key)));
        return NodeKeys.store(dir, stem, request.keys(), List.of(Pem.encode(cert), Pem.encode(ca.ca())));
    }
}
