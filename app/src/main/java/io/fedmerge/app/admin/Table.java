package io.fedmerge.app.admin;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/** Prints JSON rows as an aligned text table: one column per field path, "-" for what is missing. */
final class Table {
    private Table() {}

    /** @param columns header and JSON field (dotted path) pairs: "NAME", "name", "STATE", "round.state", … */
    static void print(JsonNode rows, PrintStream out, String... columns) {
        int n = columns.length / 2;
        List<String[]> lines = new ArrayList<>();
        String[] header = new String[n];
        for (int c = 0; c < n; c++) {
            header[c] = columns[2 * c];
        }
        lines.add(header);
        for (JsonNode row : rows) {
            String[] line = new String[n];
            for (int c = 0; c < n; c++) {
                JsonNode v = row;
                for (String part : columns[2 * c + 1].split("\\.")) {
                    v = v.path(part);
                }
                line[c] = v.isMissingNode() || v.isNull() ? "-" : v.isValueNode() ? v.asString() : v.toString();
            }
            lines.add(line);
        }
        int[] width = new int[n];
        for (String[] line : lines) {
            for (int c = 0; c < n; c++) {
                width[c] = Math.max(width[c], line[c].length());
            }
        }
        for (String[] line : lines) {
            StringBuilder s = new StringBuilder();
            for (int c = 0; c < n; c++) {
                s.append(c == n - 1 ? line[c] : String.format("%-" + width[c] + "s  ", line[c]));
            }
            out.println(s.toString().stripTrailing());
        }
    }
}
