package io.fedmerge.app.admin;

import io.fedmerge.core.FedmergeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

@Command(name = "rounds", mixinStandardHelpOptions = true, description = "Consolidation rounds: create, list, show,"
        + " trigger, cancel, retry, publish, watch.",
        subcommands = {RoundsCommand.Create.class, RoundsCommand.List.class, RoundsCommand.Show.class,
            RoundsCommand.Trigger.class, RoundsCommand.Cancel.class, RoundsCommand.Retry.class,
            RoundsCommand.Publish.class, RoundsCommand.Watch.class})
final class RoundsCommand {
    private static final Set<String> DONE = Set.of("PUBLISHED", "FAILED", "CANCELLED", "REJECTED");

    /** A command on one round: the hub options and the round's id. */
    abstract static class OnRound {
        @Mixin
        HubOptions hub;

        @Parameters(paramLabel = "ROUND_ID")
        String id;

        String path(String action) {
            return "/api/v1/rounds/" + ApiPaths.segment(id) + action;
        }
    }

    static void printRound(HubOptions hub, JsonNode view) {
        if (hub.json) {
            System.out.println(view.toPrettyString());
            return;
        }
        JsonNode r = view.path("round");
        System.out.println("round " + r.path("id").asString() + ": " + r.path("state").asString() + ", "
                + r.path("mergeMethod").asString() + ", " + view.path("contributions").asInt() + " of at least "
                + r.path("minContributions").asInt() + " contributions" + (r.path("reason").isNull()
                        || r.path("reason").isMissingNode() ? "" : "; " + r.path("reason").asString()));
    }

    /** Contributions received against those needed, and the state, as one line redrawn on stderr. */
    static void drawBar(JsonNode view) {
        JsonNode r = view.path("round");
        int have = view.path("contributions").asInt();
        int need = Math.max(1, r.path("minContributions").asInt());
        int filled = (int) Math.round(20.0 * Math.min(have, need) / need);
        System.err.printf("\rround %s [%s%s] %d/%d contributions, %s   ", r.path("id").asString(), "#".repeat(filled),
                " ".repeat(20 - filled), have, need, r.path("state").asString());
        System.err.flush();
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Open a round from a YAML file with the"
            + " API's fields: baseModel, mergeMethod, parameters, modelParameters, invitedNodes, minContributions,"
            + " deadline, publish, evaluation (docs/OPERATIONS.md).")
    static final class Create implements Runnable {
        @Mixin
        HubOptions hub;

        @Parameters(paramLabel = "ROUND.yml")
        Path file;

        @Override
        public void run() {
            printRound(hub, hub.api().post("/api/v1/rounds", read(file)));
        }

        static Map<String, Object> read(Path file) {
            Object root;
            try {
                LoaderOptions options = new LoaderOptions();
                options.setAllowDuplicateKeys(false);
                root = new Yaml(new SafeConstructor(options)).load(Files.readString(file));
            } catch (IOException e) {
                throw new FedmergeException("cannot read " + file + ": " + e.getMessage());
            } catch (YAMLException e) {
                throw new FedmergeException(file + " is not valid YAML: " + e.getMessage());
            }
            if (!(root instanceof Map<?, ?> map)) {
                throw new FedmergeException(file + " must be a YAML mapping with baseModel and mergeMethod");
            }
            Map<String, Object> body = new LinkedHashMap<>();
            // YAML reads an unquoted deadline as a date: the API takes ISO-8601 text
            map.forEach((k, v) -> body.put(String.valueOf(k), v instanceof java.util.Date d
                    ? d.toInstant().toString() : v));
            return body;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every round and its state.")
    static final class List implements Runnable {
        @Mixin
        HubOptions hub;

        @Override
        public void run() {
            hub.print(hub.api().get("/api/v1/rounds"), "ID", "round.id", "STATE", "round.state", "METHOD",
                    "round.mergeMethod", "CONTRIBUTIONS", "contributions", "DEADLINE", "round.deadline", "UPDATED",
                    "round.updatedAt");
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One round.")
    static final class Show extends OnRound implements Runnable {
        @Override
        public void run() {
            printRound(hub, hub.api().get(path("")));
        }
    }

    @Command(name = "trigger", mixinStandardHelpOptions = true, description = "Merge now, before the deadline.")
    static final class Trigger extends OnRound implements Runnable {
        @Override
        public void run() {
            printRound(hub, hub.api().post(path("/trigger"), null));
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel an open or merging round.")
    static final class Cancel extends OnRound implements Runnable {
        @Option(names = "--reason", description = "Recorded in the round and the audit log.")
        String reason;

        @Override
        public void run() {
            printRound(hub, hub.api().post(path("/cancel"),
                    reason == null ? Map.of() : Map.of("reason", reason)));
        }
    }

    @Command(name = "retry", mixinStandardHelpOptions = true, description = "Merge a FAILED round again from the"
            + " contributions it has.")
    static final class Retry extends OnRound implements Runnable {
        @Override
        public void run() {
            printRound(hub, hub.api().post(path("/retry"), null));
        }
    }

    @Command(name = "publish", mixinStandardHelpOptions = true, description = "Publish a REJECTED round's candidate"
            + " against the sites' evaluation gate; the reason is audited.")
    static final class Publish extends OnRound implements Runnable {
        @Option(names = "--candidate", required = true, description = "1-based candidate to publish.")
        int candidate;

        @Option(names = "--reason", required = true, description = "Why, for the audit log.")
        String reason;

        @Override
        public void run() {
            printRound(hub, hub.api().post(path("/publish"),
                    Map.of("candidate", candidate, "reason", reason)));
        }
    }

    @Command(name = "watch", mixinStandardHelpOptions = true, description = "Follow a round until it is published"
            + " (exit 0) or failed, cancelled or rejected (exit 1).")
    static final class Watch extends OnRound implements java.util.concurrent.Callable<Integer> {
        @Option(names = "--timeout", defaultValue = "PT24H", description = "Give up after this long (ISO-8601"
                + " duration, default ${DEFAULT-VALUE}).")
        Duration timeout;

        @Option(names = "--interval-ms", defaultValue = "1000", description = "Polling interval.")
        long intervalMs;

        @Override
        public Integer call() throws InterruptedException {
            var api = hub.api();
            // On a terminal a bar redrawn in place; in a log or a pipe one line per change.
            boolean terminal = System.console() != null;
            long deadline = System.nanoTime() + timeout.toNanos();
            String shown = null;
            while (true) {
                JsonNode view = api.get(path(""));
                String state = view.path("round").path("state").asString();
                String line = state + " " + view.path("contributions").asInt();
                if (!line.equals(shown) && !hub.json) {
                    if (terminal) {
                        drawBar(view);
                    } else {
                        printRound(hub, view);
                    }
                    shown = line;
                }
                if (DONE.contains(state)) {
                    if (terminal && !hub.json) {
                        System.err.println();
                    }
                    if (hub.json || terminal) {
                        printRound(hub, view);
                    }
                    return state.equals("PUBLISHED") ? 0 : 1;
                }
                if (System.nanoTime() > deadline) {
                    throw new FedmergeException("round " + id + " still " + state + " after " + timeout);
                }
                Thread.sleep(intervalMs);
            }
        }
    }
}
