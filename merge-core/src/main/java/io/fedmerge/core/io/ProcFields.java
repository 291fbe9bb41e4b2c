package io.fedmerge.core.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** A "Name:   1234 kB" line of a Linux /proc file (status, meminfo), in bytes. */
public final class ProcFields {
    private ProcFields() {}

    /** The field {@code name} (with its colon) of {@code file} in bytes; empty without procfs or the field. */
    public static OptionalLong kilobytes(Path file, String name) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(name)) {
                    return OptionalLong.of(Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0])
                            * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable
        }
        return OptionalLong.empty();
    }
}
