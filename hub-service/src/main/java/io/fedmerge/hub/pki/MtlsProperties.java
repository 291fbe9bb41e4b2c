package io.fedmerge.hub.pki;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Mutual TLS with the hub as the nodes' certificate authority ({@code fedmerge.hub.mtls.*}). The gRPC server's SSL
 * bundle must trust {@code caCertificate} and ask for client certificates ({@code
 * spring.grpc.server.ssl.client-auth=optional}: Enroll has no certificate yet, every other call needs one).
 *
 * @param enabled require a hub-issued client certificate on every call but Enroll
 * @param caCertificate the node CA's certificate, PEM (create with {@code fedmerge hub node-ca})
 * @param caPrivateKey the node CA's private key, PEM (PKCS#8 or OpenSSL EC/RSA); keep it in a secret
 * @param certificateValidity lifetime of issued client certificates; agents renew after two thirds of it
 */
@ConfigurationProperties("fedmerge.hub.mtls")
public record MtlsProperties(@DefaultValue("false") boolean enabled, Path caCertificate, Path caPrivateKey,
        @DefaultValue("30d") Duration certificateValidity) {}
