package io.fedmerge.edge.cli;

import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.ModelInstaller;
import io.fedmerge.proto.v1.ArtifactManifest;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "pull", mixinStandardHelpOptions = true,
        description = "Download and install what a round published: its consolidated checkpoint and/or LoRA adapter"
                + " (verified, resumable, atomic).")
final class PullCommand implements Callable<Integer> {
    @Mixin
    EdgeOptions options;

    @Option(names = "--round", required = true, description = "Round id.")
    String round;

    @Option(names = "--out", required = true, description = "Directory to install into (must not exist).")
    Path out;

    @Option(names = "--adapter-out", description = "Where a published LoRA adapter goes when the round also"
            + " published a checkpoint (default: OUT-adapter); an adapter published alone goes to --out.")
    Path adapterOut;

    @Override
    public Integer call() {
        try (HubClient hub = options.client()) {
            ArtifactManifest published = hub.artifact(round);
            ModelInstaller installer = new ModelInstaller();
            ModelInstaller.Installed model = published.getFilesCount() == 0 ? null
                    : installer.install(hub, round, out, n -> { });
            ModelInstaller.Installed adapter = published.getAdapterFilesCount() == 0 ? null
                    : installer.installAdapter(hub, round, model == null ? out : adapterDir(), n -> { });
            if (options.json) {
                ObjectNode o = Output.object();
                o.put("round_id", round);
                if (model != null) {
                    o.put("dir", model.dir().toString());
                    o.put("digest", model.digest());
                }
                if (adapter != null) {
                    o.put("adapter_dir", adapter.dir().toString());
                    o.put("adapter_rank", published.getAdapterRank());
                    o.put("adapter_how", published.getAdapterHow());
                }
                o.put("bytes_received", (model == null ? 0 : model.bytesReceived())
                        + (adapter == null ? 0 : adapter.bytesReceived()));
                Output.print(o);
                return 0;
            }
            if (model != null) {
                System.out.printf("installed round %s into %s (digest %s)%n", round, model.dir(), model.digest());
            }
            if (adapter != null) {
                System.out.printf("installed round %s's rank-%d LoRA adapter (%s) into %s%n", round,
                        published.getAdapterRank(), published.getAdapterHow(), adapter.dir());
            }
        }
        return 0;
    }

    private Path adapterDir() {
        return adapterOut != null ? adapterOut : out.resolveSibling(out.getFileName() + "-adapter");
    }
}
