package io.fedmerge.edge.cli;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.edge.Backoff;
import io.fedmerge.edge.Contributor;
import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubCallException;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.ModelInstaller;
import io.fedmerge.edge.RetryPolicy;
import io.fedmerge.edge.SiteEvaluation;
import io.fedmerge.eval.data.McqFormat;
import io.fedmerge.edge.WatchState;
import io.fedmerge.proto.v1.ArtifactManifest;
import io.fedmerge.proto.v1.Round;
import io.fedmerge.proto.v1.RoundEvent;
import io.fedmerge.proto.v1.RoundState;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The daemon a hospital leaves running. It never exits because the hub is away: every failure to reach it is
 * followed by a capped, jittered backoff and a reconnect, for as long as the daemon runs. It exits only when the
 * hub says this node may no longer act (revoked, certificate refused), which no retry can mend. A round it cannot
 * take part in (closed meanwhile, wrong base) is reported and skipped, never a reason to stop.
 */
@Command(name = "watch", mixinStandardHelpOptions = true,
        description = "Run as a daemon: contribute to rounds this node is invited to, install published models"
                + " beside the previous ones, reconnect after hub restarts and outages for as long as it runs.")
final class WatchCommand implements Callable<Integer> {
    @Mixin
    EdgeOptions options;

    @Option(names = "--base", required = true, description = "Local copy of the base checkpoint.")
    Path base;

    @ArgGroup(exclusive = true, multiplicity = "1")
    LocalFineTune fineTune;

    @Mixin
    SendOptions send;

    @Option(names = "--models", defaultValue = "fedmerge-models",
            description = "Where consolidated models are installed (one directory per round).")
    Path models;

    @Option(names = "--work", defaultValue = "fedmerge-edge-work",
            description = "Where task vectors and the last handled event (watch-state.json) are kept.")
    Path work;

    @Option(names = "--eval-data", description = "This site's private questions (one JSON object a line, MedQA/MedMCQA/"
            + "PubMedQA/MMLU layout): score the candidates of rounds that ask for evaluation and send the hub the"
            + " counts only. Without it, this node does not take part in evaluations.")
    Path evalData;

    @Option(names = "--eval-format", defaultValue = "auto", description = "Layout of --eval-data (default: from the"
            + " fields).")
    String evalFormat;

    @Option(names = "--eval-limit", defaultValue = "0", description = "Score only the first N questions (0 = all).")
    int evalLimit;

    @Option(names = "--eval-reference", description = "The model this site runs now, which candidates must not be"
            + " worse than (default: the base).")
    Path evalReference;

    @Option(names = "--once", description = "Exit after installing the first published model (demos, tests).")
    boolean once;

    @Option(names = "--max-backoff", defaultValue = "60s", converter = DurationConverter.class,
            description = "Longest wait between reconnection attempts (default: ${DEFAULT-VALUE}).")
    Duration maxBackoff;

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(work);
        options.load(); // no configuration is a mistake to report, not an outage to wait out
        fineTune.contributor(send); // a contradictory --density is a usage error now, not at the first round
        Backoff backoff = new Backoff(Duration.ofSeconds(1), maxBackoff, new SplittableRandom());
        while (!Thread.currentThread().isInterrupted()) {
            try {
                if (watchUntilDisconnected(backoff)) {
                    return 0;
                }
            } catch (StatusRuntimeException e) {
                if (!HubClient.retryable(e.getStatus().getCode())) {
                    return refusedForGood(e.getStatus().getCode(), e.getStatus().getDescription());
                }
                reconnectLater(backoff, e.getStatus().getCode() + ": " + e.getStatus().getDescription());
            } catch (HubCallException e) {
                if (!e.transientFailure()) {
                    return refusedForGood(e.code(), e.getMessage());
                }
                reconnectLater(backoff, e.getMessage());
            } catch (FedmergeException | UncheckedIOException e) {
                reconnectLater(backoff, e.getMessage());
            }
        }
        return 1;
    }

    private int refusedForGood(Status.Code code, String why) {
        if (code == Status.Code.UNAUTHENTICATED || code == Status.Code.PERMISSION_DENIED) {
            System.err.printf("the hub refuses this node (%s: %s); ask the hub admin, then enroll again%n", code, why);
            return 1;
        }
        throw new FedmergeException("the hub refused to stream round events (" + code + ": " + why + ")");
    }

    private static void reconnectLater(Backoff backoff, String why) {
        Duration wait = backoff.next();
        System.err.printf("hub unreachable (%s); reconnecting in %.1f s%n", why, wait.toMillis() / 1000.0);
        Backoff.sleep(wait);
    }

    /** Returns true when --once is done; returns false (or throws) when the stream ended and must be reopened. */
    private boolean watchUntilDisconnected(Backoff backoff) {
        EdgeConfig config = options.current();
        WatchState state = WatchState.load(work, config);
        // Calls inside a round are retried briefly; a hub that stays away ends the stream and the outer loop waits.
        try (HubClient hub = config.client(RetryPolicy.forDuration(Duration.ofMinutes(1)))) {
            Iterator<RoundEvent> events = hub.watch(state.afterSequence());
            while (events.hasNext()) {
                RoundEvent e = events.next();
                backoff.reset();
                boolean installed = !e.getKeepalive() && handle(hub, e);
                state = state.after(e.getSequence());
                state.save(work);
                if (installed && once) {
                    return true;
                }
                if (config.identity() != null && config.identity().renewalDue(Instant.now())) {
                    return false; // reconnect: options.current() renews and the new channel uses the new certificate
                }
            }
        }
        return false;
    }

    /**
     * Acts on one event; returns true when a model was installed. A refusal for this round is reported and the
     * event counts as handled; a hub that is away is thrown to the caller, which reconnects and replays the event.
     */
    private boolean handle(HubClient hub, RoundEvent e) {
        String id = e.getRoundId();
        try {
            if (e.getState() == RoundState.ROUND_OPEN) {
                contributeIfStillOpen(hub, id);
            } else if (e.getState() == RoundState.ROUND_EVALUATING) {
                evaluateIfStillEvaluating(hub, id);
            } else if (e.getState() == RoundState.ROUND_PUBLISHED) {
                return install(hub, id);
            } else if (e.getState() == RoundState.ROUND_REJECTED) {
                System.out.printf("round %s: REJECTED by the evaluation (%s); nothing to install%n", id,
                        e.getReason());
            } else if (e.getState() == RoundState.ROUND_FAILED || e.getState() == RoundState.ROUND_CANCELLED) {
                System.out.printf("round %s: %s (%s)%n", id, e.getState(), e.getReason());
            }
        } catch (HubCallException refusal) {
            if (refusal.transientFailure() || refusal.code() == Status.Code.UNAUTHENTICATED) {
                throw refusal;
            }
            System.err.printf("round %s: skipped, the hub refused it (%s)%n", id, refusal.getMessage());
        } catch (FedmergeException local) {
            System.err.printf("round %s: skipped (%s)%n", id, local.getMessage());
        }
        return false;
    }

    private void contributeIfStillOpen(HubClient hub, String id) {
        // Events are replayed from the last one handled: the round may have closed since it opened.
        Round now = hub.round(id);
        if (now.getState() != RoundState.ROUND_OPEN) {
            System.out.printf("round %s: %s now; nothing to contribute%n", id, now.getState());
            return;
        }
        if (now.hasContribution()) {
            return;
        }
        Contributor.Result r = fineTune.contribute(hub, id, base, work, fineTune.contributor(send), (size, done) -> { });
        System.out.printf("round %s: contributed %.1f MB%n", id, r.manifest().getTotalBytes() / 1e6);
    }

    /** Scores the round's candidates on this site's questions when it has some and the round still waits for them. */
    private void evaluateIfStillEvaluating(HubClient hub, String id) {
        if (evalData == null) {
            System.out.printf("round %s: EVALUATING; this site has no --eval-data and does not score it%n", id);
            return;
        }
        if (hub.round(id).getState() != RoundState.ROUND_EVALUATING) {
            return; // replayed: the round was decided since
        }
        new SiteEvaluation(evalData, evalFormat.equalsIgnoreCase("auto") ? null : McqFormat.parse(evalFormat),
                evalLimit, evalReference != null ? evalReference : base, evalReference != null ? "installed" : "base",
                Runtime.getRuntime().availableProcessors()).evaluate(hub, id, work, System.out);
    }

    /** Installs what the round published: the checkpoint as round-ID, an adapter as round-ID-adapter. */
    private boolean install(HubClient hub, String id) {
        Path dir = models.resolve("round-" + id);
        Path adapterDir = models.resolve("round-" + id + "-adapter");
        ArtifactManifest published = hub.artifact(id);
        boolean installed = false;
        if (published.getFilesCount() > 0 && !Files.exists(dir)) {
            ModelInstaller.Installed i = new ModelInstaller().install(hub, id, dir, n -> { });
            System.out.printf("round %s: installed %s (digest %s)%n", id, i.dir(), i.digest());
            installed = true;
        }
        if (published.getAdapterFilesCount() > 0 && !Files.exists(adapterDir)) {
            ModelInstaller.Installed i = new ModelInstaller().installAdapter(hub, id, adapterDir, n -> { });
            System.out.printf("round %s: installed the rank-%d LoRA adapter %s%n", id, published.getAdapterRank(),
                    i.dir());
            installed = true;
        }
        return installed;
    }
}
