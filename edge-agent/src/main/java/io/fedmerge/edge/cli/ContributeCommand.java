package io.fedmerge.edge.cli;

import io.fedmerge.edge.Contributor;
import io.fedmerge.edge.HubClient;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "contribute", mixinStandardHelpOptions = true,
        description = "Build the task vector of a local fine-tune and upload it to a round (resumes after failures).")
final class ContributeCommand implements Callable<Integer> {
    @Mixin
    EdgeOptions options;

    @Option(names = "--round", required = true, description = "Round id.")
    String round;

    @Option(names = "--base", required = true, description = "Local copy of the round's base checkpoint.")
    Path base;

    @Option(names = "--finetuned", required = true, description = "This hospital's fine-tuned checkpoint.")
    Path finetuned;

    @Option(names = "--work", defaultValue = "fedmerge-edge-work", description = "Where task vectors are kept.")
    Path work;

    @Override
    public Integer call() {
        try (HubClient hub = options.client()) {
            long[] total = {0};
            java.util.function.LongConsumer[] bar = {null};
            Contributor.Result r = new Contributor().contribute(hub, round, base, finetuned, work, (size, sent) -> {
                if (bar[0] == null || total[0] != size) {
                    total[0] = size;
                    bar[0] = Output.progress("upload", size, options.json);
                }
                bar[0].accept(sent);
            });
            if (options.json) {
                ObjectNode o = Output.object();
                o.put("round_id", round);
                o.put("sha256", r.manifest().getSha256());
                o.put("bytes", r.manifest().getTotalBytes());
                o.put("bytes_sent", r.upload().bytesSent());
                o.put("attempts", r.upload().attempts());
                Output.print(o);
            } else {
                System.out.printf("contributed %s to round %s (%.1f MB, %d attempt%s)%n", r.taskVector().getFileName(),
                        round, r.manifest().getTotalBytes() / 1e6, r.upload().attempts(),
                        r.upload().attempts() == 1 ? "" : "s");
            }
        }
        return 0;
    }
}
