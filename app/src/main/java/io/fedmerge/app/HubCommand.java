package io.fedmerge.app;

import io.fedmerge.hub.HubApplication;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.springframework.boot.SpringApplication;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

@Command(name = "hub", mixinStandardHelpOptions = true, subcommands = NodeCaCommand.class,
        description = "Run the federation hub (Spring Boot). Embedded defaults: H2 database and files under"
                + " --data-dir, admin API on --port, gRPC on --grpc-port. Any other --key=value is passed to Spring"
                + " (e.g. --spring.datasource.url=...).")
final class HubCommand implements Callable<Integer> {
    @Option(names = "--data-dir", description = "Database and blobs (default ./hub-data).")
    String dataDir;

    @Option(names = "--port", description = "HTTP port of the admin API (default 8080).")
    Integer port;

    @Option(names = "--grpc-port", description = "gRPC port for edge agents (default 9090).")
    Integer grpcPort;

    @Option(names = "--management-port", description = "Port of the probes and the Prometheus scrape (/actuator;"
            + " default 8081, bound to 127.0.0.1 unless --management.server.address=... is given).")
    Integer managementPort;

    @Option(names = "--models-root", description = "The only directory base models may be registered from (default"
            + " <data-dir>/models).")
    String modelsRoot;

    @Option(names = "--admin-token-file", description = "Where the admin token generated at first start is written"
            + " (owner-only) instead of being printed.")
    String adminTokenFile;

    @Unmatched
    List<String> springArgs = new ArrayList<>();

    @Override
    public Integer call() {
        List<String> args = new ArrayList<>(springArgs);
        if (dataDir != null) {
            args.add("--fedmerge.hub.data-dir=" + dataDir);
        }
        if (port != null) {
            args.add("--server.port=" + port);
        }
        if (grpcPort != null) {
            args.add("--spring.grpc.server.port=" + grpcPort);
        }
        if (managementPort != null) {
            args.add("--management.server.port=" + managementPort);
        }
        if (modelsRoot != null) {
            args.add("--fedmerge.hub.models-root=" + modelsRoot);
        }
        if (adminTokenFile != null) {
            args.add("--fedmerge.hub.admin-token-file=" + adminTokenFile);
        }
        SpringApplication.run(HubApplication.class, args.toArray(String[]::new));
        return 0;
    }
}
