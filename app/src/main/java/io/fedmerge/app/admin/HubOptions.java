package io.fedmerge.app.admin;

import io.fedmerge.app.AdminApi;
import io.fedmerge.core.FedmergeException;
import io.fedmerge.edge.cli.SecretInput;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

/**
 * Where the hub is and who is asking. The bearer token (the bootstrap admin token, or an access token from the
 * hospital's identity provider) comes from a file or the environment, never the command line, where every process
 * on the host could read it.
 */
final class HubOptions {
    @Option(names = "--hub", paramLabel = "URL", defaultValue = "${env:FEDMERGE_HUB_URL:-http://127.0.0.1:8080}",
            description = "The hub's admin API (default: $FEDMERGE_HUB_URL or ${DEFAULT-VALUE}).")
    String hub;

    @Option(names = "--token-file", paramLabel = "FILE", description = "File holding the bearer token: an"
            + " access token from the identity provider, or the hub's bootstrap admin token (default:"
            + " $FEDMERGE_ADMIN_TOKEN).")
    Path tokenFile;

    @Option(names = "--json", description = "Print the API's JSON instead of a table.")
    boolean json;

    /** The API's answer as JSON, or as a table of these (header, field path) columns. */
    void print(JsonNode answer, String... columns) {
        if (json) {
            System.out.println(answer.toPrettyString());
            return;
        }
        Table.print(answer, System.out, columns);
    }

    /** DELETEs {@code collection}/{@code id} and says so: a line for people, a JSON object for scripts. */
    void revoke(String collection, String what, String id) {
        api().delete(collection + "/" + ApiPaths.segment(id)); // a checked UUID or serial: safe to echo unquoted
        System.out.println(json ? "{\"revoked\":\"" + id + "\"}" : "revoked " + what + " " + id);
    }

    AdminApi api() {
        String token = SecretInput.resolve(null, tokenFile, "FEDMERGE_ADMIN_TOKEN", "--token-file", System.getenv());
        if (token == null) {
            throw new FedmergeException("no admin token: give --token-file or set FEDMERGE_ADMIN_TOKEN");
        }
        return new AdminApi(hub.replaceAll("/+$", ""), token);
    }
}
