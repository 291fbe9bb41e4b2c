package io.fedmerge.hub.pki;

import io.fedmerge.hub.HubException;
import io.fedmerge.hub.metrics.HubMetrics;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.springframework.stereotype.Component;

/**
 * The hub as the nodes' certificate authority: signs a node's CSR into a short-lived client certificate bound to
 * its node id, and decides whether the certificate a call arrived with may act for the node it names.
 */
@Component
public class NodeCertificateAuthority {
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

    /** A certificate issued to a node, with the CA certificate after it. */
    public record Issued(List<String> chainPem, Instant notAfter, String serial) {}

    private final boolean enabled;
    private final Duration validity;
    private final NodeCertificates register;
    private final HubMetrics metrics;
    private final X509Certificate ca;
    private final PrivateKey caKey;
    private final SecureRandom random = new SecureRandom();

    NodeCertificateAuthority(MtlsProperties properties, NodeCertificates register, HubMetrics metrics) {
        this.enabled = properties.enabled();
        this.validity = properties.certificateValidity();
        this.register = register;
        this.metrics = metrics;
        if (!enabled) {
            this.ca = null;
            this.caKey = null;
            return;
        }
        Path certFile = required(properties.caCertificate(), "ca-certificate");
        Path keyFile = required(properties.caPrivateKey(), "ca-private-key");
        this.ca = Pem.certificate(Pem.read(certFile, "node CA certificate"));
        this.caKey = Pem.privateKey(Pem.read(keyFile, "node CA private key"));
        checkPair(ca, caKey, certFile, keyFile);
    }

    private static Path required(Path p, String key) {
        if (p == null || p.toString().isBlank()) {
            throw new IllegalStateException("fedmerge.hub.mtls.enabled is true but fedmerge.hub.mtls." + key
                    + " is not set; create a node CA with 'fedmerge hub node-ca --out DIR' and point"
                    + " fedmerge.hub.mtls.ca-certificate / ca-private-key at its ca.pem / ca.key");
        }
        return p;
    }

    private static void checkPair(X509Certificate ca, PrivateKey key, Path certFile, Path keyFile) {
        if (ca.getBasicConstraints() < 0) {
            throw new IllegalStateException(certFile + " is not a CA certificate (no basicConstraints CA:true)");
        }
        try {
            String alg = signatureAlgorithm(key);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(new byte[] {1, 2, 3});
            byte[] sig = s.sign();
            s.initVerify(ca.getPublicKey());
            s.update(new byte[] {1, 2, 3});
            if (!s.verify(sig)) {
                throw new IllegalStateException(keyFile + " is not the private key of " + certFile);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(keyFile + " does not match " + certFile + ": " + e.getMessage(), e);
        }
    }

    private static String signatureAlgorithm(PrivateKey key) {
        return "EC".equals(key.getAlgorithm()) ? "SHA384withECDSA" : "SHA256withRSA";
    }

    public boolean enabled() {
        return enabled;
    }

    public X509Certificate caCertificate() {
        return ca;
    }

    /** Signs a node's CSR; the subject and extensions are the hub's, only the public key comes from the request. */
    public Issued issue(String nodeId, String csrPem) {
        if (!enabled) {
            throw HubException.precondition("mtls_disabled", "this hub does not issue client certificates (mutual"
                    + " TLS is off); enroll without a certificate request");
        }
        PublicKey key = checkedKey(csrPem);
        Instant now = Instant.now();
        Instant notBefore = now.minus(CLOCK_SKEW);
        Instant notAfter = now.plus(validity);
        BigInteger serial = new BigInteger(127, random).add(BigInteger.ONE);
        try {
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, serial, Date.from(notBefore),
                    Date.from(notAfter), new X500Name("CN=" + nodeId + ",O=fedmerge node"), key);
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(
                    GeneralName.uniformResourceIdentifier, "urn:fedmerge:node:" + nodeId)));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder(signatureAlgorithm(caKey)).build(caKey)));
            String hex = serial.toString(16);
            register.record(new NodeCertificates.Issued(hex, nodeId, notBefore, notAfter, now, null));
            metrics.certificateIssued();
            return new Issued(List.of(Pem.encode(cert), Pem.encode(ca)), notAfter, hex);
        } catch (Exception e) {
            throw new IllegalStateException("cannot sign a certificate for node " + nodeId + ": " + e.getMessage(),
                    e);
        }
    }

    /** Checks a CSR before anything is consumed for it (an enrollment token is spent only on a good request). */
    public void check(String csrPem) {
        if (!enabled && (csrPem == null || csrPem.isBlank())) {
            return;
        }
        if (!enabled) {
            throw HubException.precondition("mtls_disabled", "this hub does not issue client certificates (mutual"
                    + " TLS is off); enroll without a certificate request");
        }
        checkedKey(csrPem);
    }

    /** The CSR's public key, after checking that the request is signed by that key and the key is strong enough. */
    private static PublicKey checkedKey(String csrPem) {
        if (csrPem == null || csrPem.isBlank()) {
            throw HubException.invalid("csr_required", "this hub requires mutual TLS: send a certificate signing"
                    + " request (enroll with 'fedmerge edge enroll --mtls')");
        }
        try {
            PKCS10CertificationRequest csr = Pem.csr(csrPem);
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(csr.getSubjectPublicKeyInfo()))) {
                throw HubException.invalid("bad_csr", "the certificate request is not signed by the key it carries");
            }
            PublicKey key = new JcaPKCS10CertificationRequest(csr).getPublicKey();
            int bits = key instanceof ECPublicKey ec ? ec.getParams().getOrder().bitLength()
                    : key instanceof RSAPublicKey rsa ? rsa.getModulus().bitLength() : 0;
            boolean strong = key instanceof ECPublicKey ? bits == 256 || bits == 384 : bits >= 2048;
            if (!strong) {
                throw HubException.invalid("weak_key", "the request's " + key.getAlgorithm() + " key (" + bits
                        + " bits) is not accepted; use EC P-256/P-384 or RSA of at least 2048 bits");
            }
            return key;
        } catch (HubException e) {
            throw e;
        } catch (Exception e) {
            throw HubException.invalid("bad_csr", "unreadable certificate request: " + e.getMessage());
        }
    }

    /**
     * Why the certificate chain a call presented may not act for {@code nodeId}, or empty if it may: it must be
     * signed by this CA, registered for that node, unexpired and not revoked.
     */
    public Optional<String> refusal(X509Certificate[] peer, String nodeId) {
        if (peer == null || peer.length == 0) {
            return Optional.of("this hub requires a client certificate (mutual TLS); configure the edge with the"
                    + " certificate it got at enrollment, or enroll again");
        }
        X509Certificate leaf = peer[0];
        try {
            leaf.verify(ca.getPublicKey());
        } catch (GeneralSecurityException e) {
            return Optional.of("the client certificate was not issued by this hub's node CA");
        }
        String serial = leaf.getSerialNumber().toString(16);
        Optional<NodeCertificates.Issued> issued = register.find(serial);
        if (issued.isEmpty() || !issued.get().nodeId().equals(nodeId)) {
            return Optional.of("the client certificate (serial " + serial + ") was not issued to this node");
        }
        if (issued.get().revoked()) {
            return Optional.of("the client certificate (serial " + serial + ") was revoked; ask the hub admin and"
                    + " enroll again");
        }
        if (issued.get().notAfter().isBefore(Instant.now())) {
            return Optional.of("the client certificate (serial " + serial + ") has expired; enroll again");
        }
        return Optional.empty();
    }
}
