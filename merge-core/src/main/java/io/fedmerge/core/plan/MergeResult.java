package io.fedmerge.core.plan;

import java.nio.file.Path;
import io.fedmerge.core.method.UnitReport;
import java.util.List;

/** What a finished merge produced. */
public record MergeResult(
        Path output,
        String method,
        int tensors,
        int shards,
        int contributors,
        long bytesWritten,
        double seconds,
        int threads,
        List<String> warnings,
        List<UnitReport> units) {
    public MergeResult {
        warnings = List.copyOf(warnings);
        units = List.copyOf(units);
    }
}
