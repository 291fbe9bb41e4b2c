package io.fedmerge.core.cli;

import io.fedmerge.core.method.UnitReport;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hierarchical method's decisions, one line per layer: the lowest and mean weight of its units, how many
 * reverted to the base (weight 0: the contributions conflicted), and whose heads were moved by the alignment.
 */
public final class UnitTable {
    private static final Pattern LAYER = Pattern.compile("^(.*?layers\\.\\d+)\\.");

    private UnitTable() {}

    public static void print(List<UnitReport> units, PrintStream out) {
        Map<String, List<UnitReport>> byLayer = new LinkedHashMap<>();
        for (UnitReport u : units) {
            Matcher m = LAYER.matcher(u.unit());
            byLayer.computeIfAbsent(m.find() ? m.group(1) : u.unit(), k -> new java.util.ArrayList<>()).add(u);
        }
        out.printf("%-32s %6s %7s %7s %9s  %s%n", "layer", "units", "min w", "mean w", "reverted", "heads moved");
        for (Map.Entry<String, List<UnitReport>> e : byLayer.entrySet()) {
            double min = Double.POSITIVE_INFINITY;
            double sum = 0;
            int reverted = 0;
            Set<String> moved = new LinkedHashSet<>();
            for (UnitReport u : e.getValue()) {
                min = Math.min(min, u.weight());
                sum += u.weight();
                reverted += u.weight() == 0 ? 1 : 0;
                moved.addAll(u.permuted());
            }
            out.printf("%-32s %6d %7.3f %7.3f %9d  %s%n", e.getKey(), e.getValue().size(), min,
                    sum / e.getValue().size(), reverted, moved.isEmpty() ? "-" : String.join(", ", moved));
        }
    }
}
