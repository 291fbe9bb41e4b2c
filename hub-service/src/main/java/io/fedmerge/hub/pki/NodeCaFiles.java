package io.fedmerge.hub.pki;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.AtomicFiles;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Creates the node CA: a P-384 key and a self-signed certificate that may sign only end-entity certificates. */
public final class NodeCaFiles {
    private NodeCaFiles() {}

    public record Created(Path certificate, Path privateKey, X509Certificate ca) {}

    /**
     * Writes {@code ca.pem} and {@code ca.key} (owner-only) into {@code dir}; refuses to overwrite an existing CA,
     * whose loss would strand every enrolled node.
     */
    public static Created create(Path dir, String commonName, Duration validity) throws IOException {
        Path cert = dir.resolve("ca.pem");
        Path key = dir.resolve("ca.key");
        if (Files.exists(cert) || Files.exists(key)) {
            throw new FedmergeException("a node CA already exists in " + dir + "; move it away first if you"
                    + " really mean to replace it (every node would have to enroll again)");
        }
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp384r1"));
            KeyPair pair = g.generateKeyPair();
            X500Name name = new X500Name("CN=" + commonName.replaceAll("[,=+<>#;\\\\\"]", "_") + ",O=fedmerge");
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name,
                    new BigInteger(127, new SecureRandom()).add(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(validity)), name, pair.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate ca = new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA384withECDSA").build(pair.getPrivate())));
            AtomicFiles.write(key, Pem.encode(pair.getPrivate()), true);
            Files.writeString(cert, Pem.encode(ca));
            return new Created(cert, key, ca);
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new IllegalStateException("cannot create the node CA: " + e.getMessage(), e);
        }
    }
}
