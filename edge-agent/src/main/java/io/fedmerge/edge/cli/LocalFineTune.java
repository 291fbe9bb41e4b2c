package io.fedmerge.edge.cli;

import io.fedmerge.edge.Contributor;
import io.fedmerge.edge.HubClient;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** What this hospital contributes: a fine-tuned checkpoint (sent as its task vector) or a PEFT LoRA adapter. */
final class LocalFineTune {
    @Option(names = "--finetuned", required = true, description = "This hospital's fine-tuned checkpoint.")
    Path finetuned;

    @Option(names = "--adapter", required = true,
            description = "This hospital's PEFT LoRA adapter directory (sent as it is, not as a dense task vector).")
    Path adapter;

    /** How this contribution is sent; a usage error (before any connection) when the options contradict it. */
    Contributor contributor(SendOptions send) {
        return send.contributor(adapter != null);
    }

    Contributor.Result contribute(HubClient hub, String round, Path base, Path work, Contributor c,
            Contributor.Progress progress) {
        return adapter != null ? c.contributeAdapter(hub, round, base, adapter, work, progress)
                : c.contribute(hub, round, base, finetuned, work, progress);
    }
}
