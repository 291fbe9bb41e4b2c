package io.fedmerge.core.adapter;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import java.nio.file.Path;

/**
 * Hostile adapter_config.json (a hub reads it from a network peer): parsed, or refused with an
 * {@link InvalidAdapterException}; and every question a merge asks of a parsed config (rank, scale, target, layer)
 * on a module name from the same input either answers or refuses — no other exception, no stall.
 */
class AdapterConfigFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void config(@NotNull String text) {
        AdapterConfig c;
        try {
            c = AdapterConfig.parse(Path.of("adapter_config.json"), text);
        } catch (InvalidAdapterException expected) {
            return;
        }
        String module = text.length() > 80 ? text.substring(0, 80) : text;
        for (String m : new String[] {"model.layers.0.self_attn.q_proj", module}) {
            try {
                c.rankOf(m);
                c.scaleOf(m);
                c.targets(m);
                c.inTransformedLayers(m);
                c.saves(m);
            } catch (InvalidAdapterException expected) {
                // a pattern too expensive to match, refused with a message
            }
        }
    }
}
