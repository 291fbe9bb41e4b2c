package io.fedmerge.edge.cli;

import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import java.nio.file.Path;
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

    HubClient client() {
        return load().client();
    }
}
