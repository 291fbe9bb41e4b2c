package io.fedmerge.edge.cli;

import java.util.function.LongConsumer;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** JSON results and byte progress for the edge commands (stderr, so stdout stays scriptable). */
final class Output {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Output() {}

    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    static void print(ObjectNode o) {
        System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));
    }

    /** A progress line redrawn on a terminal, every 10 % otherwise; silent with --json. */
    static LongConsumer progress(String label, long total, boolean quiet) {
        boolean terminal = System.console() != null;
        int[] lastDecile = {-1};
        return done -> {
            if (quiet || total <= 0) {
                return;
            }
            double f = Math.min(1, done / (double) total);
            if (terminal) {
                System.err.printf("\r%s %5.1f%% (%d/%d MB) ", label, f * 100, done >> 20, total >> 20);
                if (done >= total) {
                    System.err.println();
                }
            } else if ((int) (f * 10) != lastDecile[0]) {
                lastDecile[0] = (int) (f * 10);
                System.err.printf("%s %3.0f%%%n", label, f * 100);
            }
        };
    }
}
