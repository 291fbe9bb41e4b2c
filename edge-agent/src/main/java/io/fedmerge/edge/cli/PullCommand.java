package io.fedmerge.edge.cli;

import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.ModelInstaller;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "pull", mixinStandardHelpOptions = true,
        description = "Download and install a round's consolidated checkpoint (verified, resumable, atomic).")
final class PullCommand implements Callable<Integer> {
    @Mixin
    EdgeOptions options;

    @Option(names = "--round", required = true, description = "Round id.")
    String round;

    @Option(names = "--out", required = true, description = "Directory to install into (must not exist).")
    Path out;

    @Override
    public Integer call() {
        try (HubClient hub = options.client()) {
            ModelInstaller.Installed i = new ModelInstaller().install(hub, round, out, n -> { });
            if (options.json) {
                ObjectNode o = Output.object();
                o.put("round_id", round);
                o.put("dir", i.dir().toString());
                o.put("digest", i.digest());
                o.put("bytes_received", i.bytesReceived());
                Output.print(o);
            } else {
                System.out.printf("installed round %s into %s (digest %s)%n", round, i.dir(), i.digest());
            }
        }
        return 0;
    }
}
