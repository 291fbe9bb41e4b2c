package io.fedmerge.core.cli;

import io.fedmerge.core.plan.MergeProgress;
import java.io.PrintStream;

/**
 * Draws progress on stderr: a redrawn bar on a terminal, a plain line every 10 % otherwise (logs, CI), nothing
 * when quiet (--json keeps stderr for errors only).
 */
public final class ProgressBar implements MergeProgress {
    private final PrintStream err;
    private final String label;
    private final boolean terminal;
    private final boolean quiet;
    private final String unit;
    private final long startNanos = System.nanoTime();
    private int tensors;
    private long total;
    private int lastDecile = -1;

    public ProgressBar(PrintStream err, String label, boolean quiet) {
        this(err, label, "tensors", quiet);
    }

    /** @param unit what the counted items are called ("tensors", "files") */
    public ProgressBar(PrintStream err, String label, String unit, boolean quiet) {
        this.err = err;
        this.label = label;
        this.unit = unit;
        this.terminal = System.console() != null;
        this.quiet = quiet;
    }

    @Override
    public void started(int tensors, long bytes) {
        this.tensors = tensors;
        this.total = Math.max(1, bytes);
    }

    @Override
    public synchronized void tensorDone(String name, int done, long bytesDone) {
        if (quiet) {
            return;
        }
        double fraction = Math.min(1.0, bytesDone / (double) total);
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        double mbps = bytesDone / 1e6 / Math.max(1e-9, seconds);
        if (terminal) {
            int width = 30;
            int filled = (int) Math.round(fraction * width);
            err.printf("\r%s [%s%s] %3.0f%% %d/%d %s %.0f MB/s ", label, "#".repeat(filled),
                    " ".repeat(width - filled), fraction * 100, done, tensors, unit, mbps);
            if (done == tensors) {
                err.println();
            }
        } else {
            int decile = (int) (fraction * 10);
            if (decile != lastDecile || done == tensors) {
                lastDecile = decile;
                err.printf("%s %3.0f%% (%d/%d %s, %.0f MB/s)%n", label, fraction * 100, done, tensors, unit, mbps);
            }
        }
        err.flush();
    }
}
