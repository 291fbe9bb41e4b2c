package io.fedmerge.edge;

import io.fedmerge.core.FedmergeException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;

/**
 * This node's TLS client identity: the certificate chain the hub issued and the private key that never left the
 * hospital.
 */
public record ClientIdentity(Path certificateChain, Path privateKey) {

    public X509Certificate certificate() {
        try (InputStream in = Files.newInputStream(certificateChain)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException | CertificateException e) {
            throw new FedmergeException("cannot read the client certificate " + certificateChain + ": "
                    + e.getMessage());
        }
    }

    /** When the certificate stops being valid. */
    public Instant expiresAt() {
        return certificate().getNotAfter().toInstant();
    }

    /** Renewal is due once two thirds of the certificate's lifetime have passed (or it has expired). */
    public boolean renewalDue(Instant now) {
        X509Certificate c = certificate();
        Instant from = c.getNotBefore().toInstant();
        Instant to = c.getNotAfter().toInstant();
        return now.isAfter(from.plus(Duration.between(from, to).multipliedBy(2).dividedBy(3)));
    }
}
