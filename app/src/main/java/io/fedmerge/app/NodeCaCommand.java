package io.fedmerge.app;

import io.fedmerge.hub.pki.NodeCaFiles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "node-ca", mixinStandardHelpOptions = true,
        description = "Create the node CA for mutual TLS: ca.pem (certificate: put it in the gRPC SSL bundle's"
                + " truststore) and ca.key (private key, owner-only: keep it in a secret). Point"
                + " fedmerge.hub.mtls.ca-certificate / ca-private-key at them. Refuses to overwrite an existing CA.")
final class NodeCaCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Directory for ca.pem and ca.key.")
    Path out;

    @Option(names = "--name", defaultValue = "fedmerge node CA",
            description = "Common name (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--validity-days", defaultValue = "3650",
            description = "CA lifetime in days (default: ${DEFAULT-VALUE}).")
    int validityDays;

    @Override
    public Integer call() throws Exception {
        NodeCaFiles.Created ca = NodeCaFiles.create(out, name, Duration.ofDays(validityDays));
        System.out.printf("node CA created: %s (certificate), %s (private key), valid until %s%n", ca.certificate(),
                ca.privateKey(), ca.ca().getNotAfter().toInstant());
        return 0;
    }
}
