package io.fedmerge.hub.pki;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/** PEM encoding and decoding of certificates, keys and certificate requests. */
public final class Pem {
    private Pem() {}

    public static String encode(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
            // Private keys as PKCS#8 ("PRIVATE KEY"): what Netty and most tools expect.
            pem.writeObject(object instanceof PrivateKey key ? new JcaPKCS8Generator(key, null) : object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static Object first(String pem, String what) {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o = parser.readObject();
            if (o == null) {
                throw new IllegalArgumentException("no PEM " + what + " found");
            }
            return o;
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed PEM " + what + ": " + e.getMessage(), e);
        }
    }

    public static PKCS10CertificationRequest csr(String pem) {
        if (first(pem, "certificate request") instanceof PKCS10CertificationRequest csr) {
            return csr;
        }
        throw new IllegalArgumentException("the PEM block is not a PKCS#10 certificate request");
    }

    public static X509Certificate certificate(String pem) {
        if (first(pem, "certificate") instanceof X509CertificateHolder holder) {
            try {
                return new JcaX509CertificateConverter().getCertificate(holder);
            } catch (CertificateException e) {
                throw new IllegalArgumentException("unreadable certificate: " + e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException("the PEM block is not a certificate");
    }

    public static PrivateKey privateKey(String pem) {
        Object o = first(pem, "private key");
        try {
            JcaPEMKeyConverter keys = new JcaPEMKeyConverter();
            if (o instanceof PrivateKeyInfo info) {
                return keys.getPrivateKey(info);
            }
            if (o instanceof PEMKeyPair pair) {
                return keys.getPrivateKey(pair.getPrivateKeyInfo());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("unreadable private key: " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("the PEM block is not an unencrypted private key");
    }

    public static String read(Path file, String what) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the " + what + " at " + file + ": " + e.getMessage(), e);
        }
    }
}
