package io.fedmerge.edge;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.proto.v1.RenewCertificateResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Keeps this node's client certificate fresh: once two thirds of its lifetime have passed, a new key is generated,
 * the hub signs it, the configuration switches to the new pair and the old pair is deleted.
 */
public final class CertificateRenewer {
    private CertificateRenewer() {}

    /** The configuration to use from now on: renewed (and saved) if renewal was due, else unchanged. */
    public static EdgeConfig renewIfDue(EdgeConfig config, Path configFile, Instant now) {
        ClientIdentity id = config.identity();
        if (id == null || !id.renewalDue(now)) {
            return config;
        }
        return renew(config, configFile, now);
    }

    public static EdgeConfig renew(EdgeConfig config, Path configFile, Instant now) {
        ClientIdentity old = config.identity();
        if (old == null) {
            throw new FedmergeException("this node has no client certificate to renew (it enrolled without --mtls)");
        }
        Instant expires = old.expiresAt();
        if (expires.isBefore(now)) {
            throw new FedmergeException("the client certificate " + old.certificateChain() + " expired at "
                    + expires + "; a hub cannot renew an expired certificate:"
                    + " ask the hub admin for an enrollment token and enroll again");
        }
        NodeKeys.Request request = NodeKeys.newRequest(config.nodeName());
        RenewCertificateResponse r;
        try (HubClient hub = config.client()) {
            r = hub.renewCertificate(request.csrPem());
        }
        Path dir = old.certificateChain().toAbsolutePath().getParent();
        ClientIdentity fresh = NodeKeys.store(dir, "client-" + now.toEpochMilli(), request.keys(),
                r.getCertificateChainPemList());
        EdgeConfig next = config.withIdentity(fresh);
        next.save(configFile);
        if (old.equals(fresh)) {
            return next;
        }
        try {
            Files.deleteIfExists(old.privateKey());
            Files.deleteIfExists(old.certificateChain());
        } catch (IOException e) {
            throw new UncheckedIOException("renewed, but cannot delete the old key " + old.privateKey(), e);
        }
        return next;
    }
}
