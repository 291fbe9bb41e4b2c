package io.fedmerge.edge.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code fedmerge edge}: the hospital side of federation. */
@Command(name = "edge", mixinStandardHelpOptions = true,
        description = "The hospital's edge agent: enroll with a hub, contribute task vectors, receive merged models.",
        subcommands = {EnrollCommand.class, ContributeCommand.class, PullCommand.class, StatusCommand.class,
                WatchCommand.class, RenewCommand.class})
public final class EdgeCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
