package io.fedmerge.app.admin;

import picocli.CommandLine.Command;

/**
 * {@code ./fedmerge admin}: the hub's admin REST API from a shell, as an operator scripts it. Tables for people,
 * {@code --json} for scripts; errors print {@code error: ...} and exit 1, as the other commands.
 */
@Command(name = "admin", mixinStandardHelpOptions = true,
        description = "Administer a hub over its REST API: nodes, enrollment tokens, base models, rounds, artifacts,"
                + " the audit log.",
        subcommands = {NodesCommand.class, TokensCommand.class, BaseModelsCommand.class, RoundsCommand.class,
            ArtifactsCommand.class, AuditCommand.class})
public final class AdminCommand {}
