package io.fedmerge.app.admin;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "audit", mixinStandardHelpOptions = true, description = "Who did what, from where and when:"
        + " newest first, filtered; --export prints every matching entry as JSON lines, oldest first.")
final class AuditCommand implements Runnable {
    @Mixin
    HubOptions hub;

    @Option(names = "--actor", description = "e.g. bootstrap-token, node:<id>")
    String actor;

    @Option(names = "--action", description = "e.g. round.create, node.revoke, token.create")
    String action;

    @Option(names = "--subject", description = "A round, node, token or certificate id.")
    String subject;

    @Option(names = "--since", description = "ISO-8601 instant, inclusive.")
    String since;

    @Option(names = "--until", description = "ISO-8601 instant, exclusive.")
    String until;

    @Option(names = "--limit", defaultValue = "50", description = "Entries (default ${DEFAULT-VALUE}, at most 1000).")
    int limit;

    @Option(names = "--export", description = "Every matching entry as JSON lines (for a SIEM).")
    boolean export;

    @Override
    public void run() {
        String filters = ApiPaths.query("actor", actor) + ApiPaths.query("action", action)
                + ApiPaths.query("subject", subject) + ApiPaths.query("since", since) + ApiPaths.query("until", until);
        if (export) {
            System.out.print(hub.api().getText("/api/v1/audit/export?" + filters.replaceFirst("^&", "")));
            return;
        }
        var page = hub.api().get("/api/v1/audit?limit=" + limit + filters);
        if (hub.json) {
            System.out.println(page.toPrettyString());
            return;
        }
        Table.print(page.path("entries"), System.out, "AT", "at", "ACTOR", "actor", "ACTION", "action", "SUBJECT",
                "subject", "FROM", "source", "DETAIL", "detail");
    }
}
