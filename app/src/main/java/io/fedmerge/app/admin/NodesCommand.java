package io.fedmerge.app.admin;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "nodes", mixinStandardHelpOptions = true, description = "Enrolled nodes: list, revoke.",
        subcommands = {NodesCommand.List.class, NodesCommand.Revoke.class})
final class NodesCommand {
    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every node, its last call and state.")
    static final class List implements Runnable {
        @Mixin
        HubOptions hub;

        @Override
        public void run() {
            hub.print(hub.api().get("/api/v1/nodes"), "NAME", "name", "SITE", "site", "ID", "id", "LAST SEEN",
                    "lastSeen", "REVOKED", "revoked");
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a node: its calls are refused"
            + " at once, its open streams end and its certificates are revoked.")
    static final class Revoke implements Runnable {
        @Mixin
        HubOptions hub;

        @Parameters(paramLabel = "NODE_ID")
        String id;

        @Override
        public void run() {
            hub.revoke("/api/v1/nodes", "node", id);
        }
    }
}
