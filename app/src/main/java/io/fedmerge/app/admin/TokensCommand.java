package io.fedmerge.app.admin;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "tokens", mixinStandardHelpOptions = true, description = "One-time enrollment tokens: mint, list,"
        + " revoke.", subcommands = {TokensCommand.Mint.class, TokensCommand.List.class, TokensCommand.Revoke.class})
final class TokensCommand {
    @Command(name = "mint", mixinStandardHelpOptions = true, description = "Mint a token for one hospital's node;"
            + " it is shown once, give it to that hospital's IT over a trusted channel.")
    static final class Mint implements Runnable {
        @Mixin
        HubOptions hub;

        @Option(names = "--ttl-minutes", defaultValue = "1440", description = "Validity (default: ${DEFAULT-VALUE}).")
        int ttlMinutes;

        @Option(names = "--note", description = "Who it is for (shown in the list and the audit log).")
        String note;

        @Option(names = "--site", description = "The hospital site the enrolled node will belong to (its site admins"
                + " manage it). A site admin's own site is implied.")
        String site;

        @Override
        public void run() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("ttlMinutes", ttlMinutes);
            if (note != null) {
                body.put("note", note);
            }
            if (site != null) {
                body.put("site", site);
            }
            var t = hub.api().post("/api/v1/enrollment-tokens", body);
            if (hub.json) {
                System.out.println(t.toPrettyString());
                return;
            }
            System.out.println(t.path("token").asString());
            System.err.println("token " + t.path("id").asString() + " expires " + t.path("expiresAt").asString()
                    + "; it is not shown again");
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Tokens, whether used and by whom.")
    static final class List implements Runnable {
        @Mixin
        HubOptions hub;

        @Override
        public void run() {
            hub.print(hub.api().get("/api/v1/enrollment-tokens"), "ID", "id", "NOTE", "note", "SITE", "site",
                    "EXPIRES", "expiresAt", "USED BY", "usedBy", "REVOKED", "revoked");
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke an unused token.")
    static final class Revoke implements Runnable {
        @Mixin
        HubOptions hub;

        @Parameters(paramLabel = "TOKEN_ID")
        String id;

        @Override
        public void run() {
            hub.revoke("/api/v1/enrollment-tokens", "token", id);
        }
    }
}
