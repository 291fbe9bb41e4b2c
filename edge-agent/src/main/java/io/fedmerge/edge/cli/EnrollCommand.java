package io.fedmerge.edge.cli;

import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.proto.v1.EnrollResponse;
import java.net.InetAddress;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "enroll", mixinStandardHelpOptions = true,
        description = "Enroll this node with a hub using a one-time token; stores the credential in a private file.")
final class EnrollCommand implements Callable<Integer> {
    @Mixin
    EdgeOptions options;

    @Option(names = "--hub", required = true, description = "Hub gRPC address, HOST:PORT.")
    String hub;

    @Option(names = "--token", description = "One-time enrollment token from the hub admin.")
    String token;

    @Option(names = "--admin-url", description = "Provisioning by the hub operator: mint the token through the admin"
            + " API at this URL (needs --admin-token) instead of passing --token.")
    String adminUrl;

    @Option(names = "--admin-token", description = "Admin API token, with --admin-url.")
    String adminToken;

    @Option(names = "--name", description = "Node name (default: this host's name).")
    String name;

    @Option(names = "--ca", description = "PEM certificate of the CA that signed the hub's TLS certificate"
            + " (a TLS hub); omit for a plaintext hub.")
    java.nio.file.Path ca;

    @Override
    public Integer call() throws Exception {
        String nodeName = name != null ? name : InetAddress.getLocalHost().getHostName();
        if (token == null) {
            token = TokenMint.mint(adminUrl, adminToken, nodeName);
        }
        EnrollResponse r;
        try (HubClient client = new HubClient(hub, null, ca)) {
            r = client.enroll(token, nodeName);
        }
        new EdgeConfig(hub, r.getNodeId(), nodeName, r.getCredential(),
                ca == null ? null : ca.toAbsolutePath().toString()).save(options.configPath());
        if (options.json) {
            ObjectNode o = Output.object();
            o.put("node_id", r.getNodeId());
            o.put("node_name", nodeName);
            o.put("config", options.configPath().toString());
            Output.print(o);
        } else {
            System.out.printf("enrolled as %s (node id %s); credential stored in %s%n", nodeName, r.getNodeId(),
                    options.configPath());
        }
        return 0;
    }
}
