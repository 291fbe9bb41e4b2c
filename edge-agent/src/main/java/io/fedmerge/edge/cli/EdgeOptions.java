package io.fedmerge.edge.cli;

import io.fedmerge.edge.CertificateRenewer;
import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import java.nio.file.Path;
import java.time.Instant;
import picocli.CommandLine.Option;

/** Options every edge command shares. */
public final class EdgeOptions {
    @Option(names = "--config", description = "Edge configuration file (default: ~/.fedmerge/edge.json).")
    Path config;

    @Option(names = "--json", description = "Print a machine-readable result on stdout.")
    boolean json;

    Path configPath() {
        return config != null ? config : EdgeConfig.defaultPath();
    }

    EdgeConfig load() {
        return EdgeConfig.load(configPath());
    }

    /** The saved configuration, after renewing the client certificate if that is due. */
    EdgeConfig current() {
        EdgeConfig before = load();
        EdgeConfig after = CertificateRenewer.renewIfDue(before, configPath(), Instant.now());
        if (after != before) {
            System.err.println("renewed the client certificate: " + after.clientCertificate() + ", valid until "
                    + after.identity().certificate().getNotAfter().toInstant());
        }
        return after;
    }

    HubClient client() {
        return current().client();
    }
}
