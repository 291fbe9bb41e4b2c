package io.fedmerge.edge.cli;

import io.fedmerge.core.FedmergeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A secret a command needs (an enrollment or admin token), taken from a file or an environment variable, which
 * other users cannot read, rather than from the command line, which every user sees in {@code ps}. A value given
 * on the command line still works, with a warning.
 */
public final class SecretInput {
    private SecretInput() {}

    /**
     * @param value the command-line value, or null
     * @param file a file holding the secret (first line, trimmed), or null
     * @param variable the environment variable to fall back on
     * @param option the command-line option's name, for messages
     * @return the secret, or null when none of the three is set
     */
    public static String resolve(String value, Path file, String variable, String option, Map<String, String> env) {
        if (value != null && file != null) {
            throw new FedmergeException("give " + option + " or " + option + "-file, not both");
        }
        if (value != null) {
            System.err.println("warning: " + option + " puts the secret on the command line, where other users can"
                    + " see it (ps); prefer " + option + "-file or the " + variable + " environment variable");
            return value;
        }
        if (file != null) {
            return read(file, option);
        }
        String fromEnv = env.get(variable);
        return fromEnv == null || fromEnv.isBlank() ? null : fromEnv.strip();
    }

    private static String read(Path file, String option) {
        try {
            String content = Files.readString(file).strip();
            if (content.isEmpty() || content.contains("\n")) {
                throw new FedmergeException(option + "-file " + file + " must hold the secret alone on one line");
            }
            return content;
        } catch (IOException e) {
            throw new FedmergeException("cannot read " + option + "-file " + file + ": " + e.getMessage());
        }
    }
}
