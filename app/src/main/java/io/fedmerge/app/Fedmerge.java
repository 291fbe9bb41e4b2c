package io.fedmerge.app;

import io.fedmerge.app.admin.AdminCommand;
import io.fedmerge.core.cli.FedmergeCli;
import io.fedmerge.edge.cli.EdgeCommand;
import io.fedmerge.eval.cli.EvalCommand;
import io.fedmerge.lowrank.cli.AdapterBenchCommand;
import io.fedmerge.lowrank.cli.ExtractLoraCommand;
import picocli.CommandLine;

/**
 * {@code ./fedmerge}: merge, task-vector, generate, inspect, bench (merge-core), extract-lora (lowrank), eval (eval)
 * plus hub, edge, admin and demo.
 */
public final class Fedmerge {
    private Fedmerge() {}

    public static CommandLine commandLine() {
        CommandLine cli = FedmergeCli.commandLine();
        cli.addSubcommand("extract-lora", new ExtractLoraCommand());
        cli.addSubcommand("eval", new EvalCommand());
        cli.addSubcommand("hub", new HubCommand());
        cli.addSubcommand("edge", new EdgeCommand());
        cli.addSubcommand("demo", new DemoCommand());
        cli.addSubcommand("provision-demo", new ProvisionCommand());
        cli.addSubcommand("admin", new AdminCommand());
        cli.getSubcommands().get("bench").addSubcommand("transfer", new TransferBenchCommand());
        cli.getSubcommands().get("bench").addSubcommand("adapters", new AdapterBenchCommand());
        return cli;
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        if (code != 0 || !(args.length > 0 && args[0].equals("hub"))) {
            System.exit(code);
        }
    }
}
