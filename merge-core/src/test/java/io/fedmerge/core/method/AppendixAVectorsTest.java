package io.fedmerge.core.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Every worked example of MERGE_METHODS appendix A for the registered methods, to 1e-6. */
class AppendixAVectorsTest {
    private static final double TOLERANCE = 1e-6;

    @TestFactory
    Stream<DynamicTest> everyVectorOfARegisteredMethodMatches() throws Exception {
        JsonNode root;
        try (InputStream in = getClass().getResourceAsStream("/vectors/merge-methods-appendix-a.json")) {
            root = JsonMapper.builder().build().readTree(in);
        }
        List<String> registered = new MethodRegistry().names();
        JsonNode fixture = root.get("fixture");
        float[] base = floats(fixture.get("base"));
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            String method = c.get("method").stringValue();
            if (registered.contains(method)) {
                tests.add(DynamicTest.dynamicTest(c.get("id").stringValue() + " " + method,
                        () -> check(c, base, fixture.get("delta"))));
            }
        }
        assertThat(tests).hasSizeGreaterThanOrEqualTo(20);
        return tests.stream();
    }

    private static void check(JsonNode c, float[] base, JsonNode deltas) {
        List<MethodHarness.Contributor> contributors = new ArrayList<>();
        for (JsonNode k : c.get("contributors")) {
            String id = k.get("id").stringValue();
            Map<String, Object> params = new LinkedHashMap<>();
            for (String p : List.of("weight", "density", "gamma", "epsilon")) {
                if (k.has(p)) {
                    params.put(p, k.get(p).doubleValue());
                }
            }
            float[] delta = k.has("delta") ? floats(k.get("delta")) : floats(deltas.get(id));
            contributors.add(new MethodHarness.Contributor(id, params, delta));
        }
        Map<String, Object> global = new LinkedHashMap<>();
        c.get("parameters").properties().forEach(e ->
                global.put(e.getKey(), e.getValue().isNumber() ? e.getValue().doubleValue()
                        : e.getValue().isBoolean() ? e.getValue().booleanValue() : e.getValue().stringValue()));
        long[] shape = c.has("shape") ? new long[] {c.get("shape").get(0).longValue(), c.get("shape").get(1).longValue()}
                : new long[] {base.length};
        String tensor = c.has("tensor_name") ? c.get("tensor_name").stringValue() : "ex.weight";
        float[] expected = floats(c.get("expected"));
        MethodHarness harness = new MethodHarness();
        String method = c.get("method").stringValue();
        // The same answer whole, in slices of 3 elements on one thread, and in slices of 2 on a pool.
        assertClose(harness.run(method, base, shape, contributors, global, tensor, 1 << 20, null), expected);
        assertClose(harness.run(method, base, shape, contributors, global, tensor, 3, null), expected);
        try (ExecutorService pool = Executors.newFixedThreadPool(3)) {
            assertClose(harness.run(method, base, shape, contributors, global, tensor, 2, pool), expected);
        }
    }

    private static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("element %d", i).isCloseTo(expected[i], within(TOLERANCE));
        }
    }

    static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).doubleValue();
        }
        return out;
    }
}
