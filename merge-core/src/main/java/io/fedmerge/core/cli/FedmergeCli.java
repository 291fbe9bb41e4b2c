package io.fedmerge.core.cli;

import io.fedmerge.core.FedmergeException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code fedmerge}: the command line of merge-core. The launcher script at the repository root calls it. */
@Command(name = "fedmerge", mixinStandardHelpOptions = true, version = "fedmerge 0.1.0",
        description = "Federated parameter-space merging of fine-tuned LLMs.",
        subcommands = {MergeCommand.class, TaskVectorCommand.class, GenerateCommand.class, InspectCommand.class,
                BenchCommand.class, CommandLine.HelpCommand.class})
public final class FedmergeCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** Exit codes: 0 success, 1 a problem with the inputs (message on stderr), 2 a usage error. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new FedmergeCli());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (ex instanceof FedmergeException || ex instanceof java.io.UncheckedIOException) {
                err.println("error: " + ex.getMessage());
                err.flush();
                return 1;
            }
            throw ex;
        });
        return cli;
    }
}
