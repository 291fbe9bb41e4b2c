package io.fedmerge.core.bench;

import io.fedmerge.core.io.ProcFields;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident set size of this process (Linux /proc): now, and its peak, resettable between measured phases. */
public final class PeakRss {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private PeakRss() {}

    /** Resets the peak to the current RSS (writing 5 to clear_refs); false where the kernel does not allow it. */
    public static boolean reset() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** VmHWM in bytes, or -1 when unknown (not Linux). */
    public static long peakBytes() {
        return field("VmHWM:");
    }

    /** VmRSS in bytes, or -1 when unknown (not Linux). */
    public static long currentBytes() {
        return field("VmRSS:");
    }

    private static long field(String name) {
        return ProcFields.kilobytes(STATUS, name).orElse(-1);
    }
}
