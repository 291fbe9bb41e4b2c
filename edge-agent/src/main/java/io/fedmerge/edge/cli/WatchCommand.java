package io.fedmerge.edge.cli;

import io.fedmerge.edge.Contributor;
import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.ModelInstaller;
import io.fedmerge.proto.v1.RoundEvent;
import io.fedmerge.proto.v1.RoundState;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Iterator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "watch", mixinStandardHelpOptions = true,
        description = "Run as a daemon: contribute to rounds this node is invited to, install published models"
                + " beside the previous ones, reconnect after hub restarts.")
final class WatchCommand implements Callable<Integer> {
    @Mixin
    EdgeOptions options;

    @Option(names = "--base", required = true, description = "Local copy of the base checkpoint.")
    Path base;

    @Option(names = "--finetuned", required = true, description = "This hospital's fine-tuned checkpoint.")
    Path finetuned;

    @Option(names = "--models", defaultValue = "fedmerge-models",
            description = "Where consolidated models are installed (one directory per round).")
    Path models;

    @Option(names = "--work", defaultValue = "fedmerge-edge-work", description = "Where task vectors are kept.")
    Path work;

    @Option(names = "--once", description = "Exit after installing the first published model (demos, tests).")
    boolean once;

    @Override
    public Integer call() throws Exception {
        long after = 0;
        long backoff = 1000;
        while (true) {
            EdgeConfig config = options.current();
            try (HubClient hub = config.client()) {
                Iterator<RoundEvent> events = hub.watch(after);
                while (events.hasNext()) {
                    RoundEvent e = events.next();
                    after = e.getSequence();
                    backoff = 1000;
                    if (!e.getKeepalive() && handle(hub, e) && once) {
                        return 0;
                    }
                    if (config.identity() != null && config.identity().renewalDue(Instant.now())) {
                        break; // reconnect: options.current() renews and the new channel uses the new certificate
                    }
                }
            } catch (StatusRuntimeException e) {
                System.err.printf("hub unreachable (%s); reconnecting in %d s%n", e.getStatus().getCode(),
                        backoff / 1000);
                Thread.sleep(backoff);
                backoff = Math.min(60_000, backoff * 2);
            }
        }
    }

    /** Returns true when a model was installed. */
    private boolean handle(HubClient hub, RoundEvent e) {
        String id = e.getRoundId();
        if (e.getState() == RoundState.ROUND_OPEN && !hub.round(id).hasContribution()) {
            Contributor.Result r = new Contributor().contribute(hub, id, base, finetuned, work, (size, done) -> { });
            System.out.printf("round %s: contributed %.1f MB%n", id, r.manifest().getTotalBytes() / 1e6);
        } else if (e.getState() == RoundState.ROUND_PUBLISHED) {
            Path dir = models.resolve("round-" + id);
            if (Files.exists(dir)) {
                return false;
            }
            ModelInstaller.Installed i = new ModelInstaller().install(hub, id, dir, n -> { });
            System.out.printf("round %s: installed %s (digest %s)%n", id, i.dir(), i.digest());
            return true;
        } else if (e.getState() == RoundState.ROUND_FAILED || e.getState() == RoundState.ROUND_CANCELLED) {
            System.out.printf("round %s: %s (%s)%n", id, e.getState(), e.getReason());
        }
        return false;
    }

}
