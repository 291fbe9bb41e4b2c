package io.fedmerge.app;

import io.fedmerge.core.cli.UnitTable;
import io.fedmerge.core.generate.ModelShape;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "The federation on one machine, no external servers: a hub, three hospital edge agents, a"
                + " hierarchical_cosine_ot_lerp and a task_arithmetic round, consolidation, push back, and a check"
                + " against an offline merge of the same inputs; then a round whose candidate merges the hospitals"
                + " score on their own private questions before the best is published.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--work", defaultValue = "demo-out", description = "Working directory (replaced on each run).")
    Path work;

    @Option(names = "--preset", defaultValue = "tiny", description = "tiny (default) or small.")
    String preset;

    @Option(names = "--json", description = "Print a machine-readable summary on stdout.")
    boolean json;

    @Override
    public Integer call() {
        FederatedDemo.Outcome o = new FederatedDemo().run(work, ModelShape.preset(preset), json ? System.err
                : System.out);
        boolean ok = o.rounds().stream().allMatch(FederatedDemo.RoundOutcome::matchesOffline)
                && (o.evaluation().state().equals("PUBLISHED") || o.evaluation().state().equals("REJECTED"));
        if (json) {
            JsonMapper m = JsonMapper.builder().build();
            ObjectNode n = m.createObjectNode();
            n.put("ok", ok);
            n.put("bytes_uploaded", o.bytesUploaded());
            n.put("bytes_downloaded", o.bytesDownloaded());
            n.put("seconds", o.seconds());
            for (FederatedDemo.RoundOutcome r : o.rounds()) {
                ObjectNode rn = n.withArray("rounds").addObject();
                rn.put("round_id", r.roundId());
                rn.put("method", r.method());
                rn.put("digest", r.digest());
                rn.put("matches_offline_merge", r.matchesOffline());
            }
            ObjectNode ev = n.putObject("evaluation");
            ev.put("round_id", o.evaluation().roundId());
            ev.put("state", o.evaluation().state());
            ev.put("chosen", o.evaluation().chosen());
            ev.put("reason", o.evaluation().reason());
            for (EvaluationDemo.Row row : o.evaluation().rows()) {
                ObjectNode rn = ev.withArray("rows").addObject();
                rn.put("model", row.model());
                row.perSite().forEach(rn.withArray("per_site")::add);
                rn.put("mean", row.mean());
            }
            System.out.println(m.writerWithDefaultPrettyPrinter().writeValueAsString(n));
        } else {
            for (FederatedDemo.RoundOutcome r : o.rounds()) {
                System.out.printf("%nround %s  %s  %d contributions%n  digest %s  %s%n", r.roundId(), r.method(),
                        r.contributions(), r.digest(), r.matchesOffline() ? "= offline merge of the same task vectors"
                                : "DIFFERS from the offline merge");
                if (!r.units().isEmpty()) {
                    UnitTable.print(r.units(), System.out);
                }
            }
            EvaluationDemo.print(o.evaluation(), o.edges(), System.out);
            System.out.printf("%nmoved %.1f MB up and %.1f MB down in %.1f s; every edge installed the consolidated"
                    + " models under %s/edge-*/models%n", o.bytesUploaded() / 1e6, o.bytesDownloaded() / 1e6,
                    o.seconds(), work);
        }
        return ok ? 0 : 1;
    }
}
