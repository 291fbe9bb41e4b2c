package io.fedmerge.core.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import picocli.CommandLine;

/** Runs the real CLI in-process and captures what a user would see. */
public record CliRun(int exitCode, String out, String err) {

    public static CliRun of(String... args) {
        return with(FedmergeCli::commandLine, args);
    }

    /**
     * Runs a command line (merge-core's, with the commands other modules add) in-process; it is built once stdout
     * and stderr are captured, as picocli binds its writers when it is built.
     */
    public static synchronized CliRun with(Supplier<CommandLine> commandLine, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringWriter cliErr = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            CommandLine cli = commandLine.get();
            cli.setErr(new PrintWriter(cliErr, true));
            int code = cli.execute(args);
            return new CliRun(code, out.toString(StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8) + cliErr);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
