package io.fedmerge.edge.cli;

import io.fedmerge.edge.Contributor;
import io.fedmerge.edge.HubClient;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "contribute", mixinStandardHelpOptions = true,
        description = "Upload this hospital's contribution to a round: a fine-tune's task vector, or a LoRA adapter as it"
                + " is (resumes after failures).")
final class ContributeCommand implements Callable<Integer> {
    @Mixin
    EdgeOptions options;

    @Option(names = "--round", required = true, description = "Round id.")
    String round;

    @Option(names = "--base", required = true, description = "Local copy of the round's base checkpoint.")
    Path base;

    @ArgGroup(exclusive = true, multiplicity = "1")
    LocalFineTune fineTune;

    @Mixin
    SendOptions send;

    @Option(names = "--work", defaultValue = "fedmerge-edge-work", description = "Where task vectors are kept.")
    Path work;

    @Override
    public Integer call() {
        Contributor contributor = fineTune.contributor(send);
        try (HubClient hub = options.client()) {
            long[] total = {0};
            java.util.function.LongConsumer[] bar = {null};
            Contributor.Result r = fineTune.contribute(hub, round, base, work, contributor, (size, sent) -> {
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
                o.put("kind", r.manifest().getKind().isEmpty() ? "task_vector" : r.manifest().getKind());
                o.put("contributionBytes", r.manifest().getTotalBytes());
                o.put("uploadedBytes", r.upload().bytesSent());
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
