package io.fedmerge.edge.cli;

import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.NodeKeys;
import io.fedmerge.proto.v1.EnrollResponse;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "enroll", mixinStandardHelpOptions = true,
        description = "Enroll this node with a hub using a one-time token; stores the credential in a private file.")
final class EnrollCommand implements Callable<Integer> {
    @Mixin
    EdgeOptions options;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--hub", required = true, description = "Hub gRPC address, HOST:PORT.")
    String hub;

    @Option(names = "--token-file", description = "File holding the one-time enrollment token from the hub admin"
            + " (or set FEDMERGE_ENROLL_TOKEN).")
    Path tokenFile;

    @Option(names = "--token", description = "The enrollment token itself (visible to other users in ps: prefer"
            + " --token-file or FEDMERGE_ENROLL_TOKEN).")
    String token;

    @Option(names = "--admin-url", description = "Provisioning by the hub operator: mint the token through the admin"
            + " API at this URL (with --admin-token-file or FEDMERGE_ADMIN_TOKEN) instead of passing a token.")
    String adminUrl;

    @Option(names = "--admin-token-file", description = "File holding the admin API token, with --admin-url (or set"
            + " FEDMERGE_ADMIN_TOKEN).")
    Path adminTokenFile;

    @Option(names = "--admin-token", description = "The admin API token itself, with --admin-url (visible in ps:"
            + " prefer --admin-token-file or FEDMERGE_ADMIN_TOKEN).")
    String adminToken;

    @Option(names = "--name", description = "Node name (default: this host's name).")
    String name;

    @Option(names = "--ca", description = "PEM certificate of the CA that signed the hub's TLS certificate"
            + " (a TLS hub); omit for a plaintext hub.")
    Path ca;

    @Option(names = "--mtls", description = "Ask the hub for a client certificate (hubs with mutual TLS): a key is"
            + " generated here and only its signing request is sent. Key and certificate are kept next to --config.")
    boolean mtls;

    @Override
    public Integer call() throws Exception {
        String nodeName = name != null ? name : InetAddress.getLocalHost().getHostName();
        if (mtls && ca == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--mtls needs a TLS hub: give its CA with"
                    + " --ca");
        }
        String secret = SecretInput.resolve(token, tokenFile, "FEDMERGE_ENROLL_TOKEN", "--token", System.getenv());
        if (secret == null) {
            String admin = adminUrl == null ? null : SecretInput.resolve(adminToken, adminTokenFile,
                    "FEDMERGE_ADMIN_TOKEN", "--admin-token", System.getenv());
            secret = TokenMint.mint(adminUrl, admin, nodeName);
        }
        NodeKeys.Request request = mtls ? NodeKeys.newRequest(nodeName) : null;
        EnrollResponse r;
        try (HubClient client = new HubClient(hub, null, ca)) {
            r = client.enroll(secret, nodeName, request == null ? "" : request.csrPem());
        }
        EdgeConfig config = new EdgeConfig(hub, r.getNodeId(), nodeName, r.getCredential(),
                ca == null ? null : ca.toAbsolutePath().toString());
        config.save(options.configPath()); // the credential is shown once: keep it before anything else can fail
        if (request != null) {
            Path dir = options.configPath().toAbsolutePath().getParent().resolve("tls");
            config = config.withIdentity(NodeKeys.store(dir, "client-" + System.currentTimeMillis(), request.keys(),
                    r.getCertificateChainPemList()));
            config.save(options.configPath());
        }
        if (options.json) {
            ObjectNode o = Output.object();
            o.put("node_id", r.getNodeId());
            o.put("node_name", nodeName);
            o.put("config", options.configPath().toString());
            o.put("client_certificate", config.clientCertificate());
            Output.print(o);
        } else {
            System.out.printf("enrolled as %s (node id %s); credential stored in %s%n", nodeName, r.getNodeId(),
                    options.configPath());
        }
        return 0;
    }
}
