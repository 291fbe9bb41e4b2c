package io.fedmerge.edge.cli;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.edge.CertificateRenewer;
import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.RetryPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import picocli.CommandLine.Option;

/** Options every edge command shares. */
public final class EdgeOptions {
    @Option(names = "--config", description = "Edge configuration file (default: ~/.fedmerge/edge.json).")
    Path config;

    @Option(names = "--json", description = "Print a machine-readable result on stdout.")
    boolean json;

    @Option(names = "--retry-for", defaultValue = "5m", converter = DurationConverter.class,
            description = "How long to keep retrying a hub that is away or busy (restart, network cut, storage"
                    + " outage) before giving up, e.g. 90s, 30m (default: ${DEFAULT-VALUE}). Refusals are not retried.")
    Duration retryFor;

    Path configPath() {
        return config != null ? config : EdgeConfig.defaultPath();
    }

    EdgeConfig load() {
        return EdgeConfig.load(configPath());
    }

    /** The saved configuration, after renewing the client certificate if that is due. */
    EdgeConfig current() {
        EdgeConfig before = load();
        Instant now = Instant.now();
        EdgeConfig after;
        try {
            after = CertificateRenewer.renewIfDue(before, configPath(), now);
        } catch (FedmergeException e) {
            Instant expires = before.identity() == null ? null : before.identity().expiresAt();
            if (expires == null || expires.isBefore(now)) {
                throw e;
            }
            // Still valid: a hub that is down now is asked again by the next command (or the watch loop).
            System.err.println("could not renew the client certificate yet (" + e.getMessage() + "); the current"
                    + " one is valid until " + expires);
            return before;
        }
        if (after != before) {
            System.err.println("renewed the client certificate: " + after.clientCertificate() + ", valid until "
                    + after.identity().expiresAt());
        }
        return after;
    }

    HubClient client() {
        return current().client(RetryPolicy.forDuration(retryFor));
    }
}
