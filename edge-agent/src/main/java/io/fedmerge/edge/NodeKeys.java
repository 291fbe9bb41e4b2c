package io.fedmerge.edge;

import io.fedmerge.core.io.AtomicFiles;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Key pairs and certificate requests for mutual TLS. The private key is generated here and written only to a file
 * readable by its owner; the hub sees the CSR alone.
 */
public final class NodeKeys {
    /** A fresh key pair and the PEM certificate request for it. */
    public record Request(KeyPair keys, String csrPem) {}

    private NodeKeys() {}

    public static Request newRequest(String nodeName) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair keys = g.generateKeyPair();
            // The hub replaces the subject with the node id; this one only helps a human reading the request.
            X500Name subject = new X500Name("CN=" + nodeName.replaceAll("[^A-Za-z0-9._-]", "_"));
            var csr = new JcaPKCS10CertificationRequestBuilder(subject, keys.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
            return new Request(keys, pem(csr));
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot create a key pair and certificate request: " + e.getMessage(), e);
        }
    }

    private static String pem(Object o) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            // Private keys as PKCS#8 ("PRIVATE KEY"): what Netty's key manager reads.
            w.writeObject(o instanceof PrivateKey key ? new JcaPKCS8Generator(key, null) : o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /**
     * Stores the key (owner-only) and the issued chain as {@code <dir>/<stem>.key} and {@code <dir>/<stem>.pem}; the
     * caller switches its configuration to them afterwards, so the old pair stays usable until then.
     */
    public static ClientIdentity store(Path dir, String stem, KeyPair keys, List<String> chainPem) {
        if (chainPem.isEmpty()) {
            throw new IllegalStateException("the hub returned no certificate");
        }
        Path key = dir.resolve(stem + ".key");
        Path cert = dir.resolve(stem + ".pem");
        try {
            AtomicFiles.write(key, pem(keys.getPrivate()), true);
            AtomicFiles.write(cert, String.join("", chainPem), false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the client key and certificate in " + dir, e);
        }
        return new ClientIdentity(cert.toAbsolutePath(), key.toAbsolutePath());
    }
}
