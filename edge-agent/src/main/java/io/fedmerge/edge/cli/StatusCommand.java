package io.fedmerge.edge.cli;

import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.proto.v1.Round;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show this node's enrollment and, with --round, that round's state and this node's contribution.")
final class StatusCommand implements Callable<Integer> {
    @Mixin
    EdgeOptions options;

    @Option(names = "--round", description = "Round id to look up.")
    String round;

    @Override
    public Integer call() {
        EdgeConfig c = options.current(); // renews the client certificate first if that is due
        ObjectNode o = Output.object();
        o.put("hub", c.hub());
        o.put("node_id", c.nodeId());
        o.put("node_name", c.nodeName());
        if (c.identity() != null) {
            var cert = c.identity().certificate();
            o.put("client_certificate", c.clientCertificate());
            o.put("certificate_serial", cert.getSerialNumber().toString(16));
            o.put("certificate_expires", cert.getNotAfter().toInstant().toString());
        }
        if (round != null) {
            try (HubClient hub = c.client()) {
                Round r = hub.round(round);
                o.put("round_state", r.getState().name());
                o.put("merge_method", r.getMergeMethod());
                o.put("contributions", r.getContributions());
                o.put("contributed", r.hasContribution());
                if (r.hasEvaluation()) {
                    evaluation(o, r);
                }
            }
        }
        if (options.json) {
            Output.print(o);
        } else {
            o.properties().forEach(e -> System.out.printf("%-14s %s%n", e.getKey(), e.getValue().asString()));
        }
        return 0;
    }

    /** The candidates' scores: over every reporting site, and at this one. */
    private static void evaluation(ObjectNode o, Round r) {
        var e = r.getEvaluation();
        o.put("evaluation_metric", r.getEvaluationMetric());
        o.put("evaluation_sites", e.getSites());
        o.put("reference_overall", String.format("%.3f", e.getReferenceOverall()));
        for (var c : e.getCandidatesList()) {
            o.put("candidate_" + c.getCandidate(), String.format("%s: overall %.3f, here %.3f%s%s", c.getMergeMethod(),
                    c.getOverall(), c.getOwn(), c.getPassed() ? "" : ", failed the gate",
                    c.getCandidate() == e.getChosen() ? ", published" : ""));
        }
    }
}
