package io.fedmerge.core.method;

import io.fedmerge.core.config.ModelEntry;
import io.fedmerge.core.config.ParameterValue;
import io.fedmerge.core.plan.ParameterResolver;
import io.fedmerge.core.plan.TensorMergeRunner;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;

/** Runs a method on in-memory tensors through the real resolver and runner, with a chosen slicing and pool. */
final class MethodHarness {
    private final MethodRegistry registry = new MethodRegistry();
    final List<String> warnings = new ArrayList<>();
    final List<UnitReport> reports = new ArrayList<>();

    record Contributor(String id, Map<String, Object> parameters, float[] delta) {}

    float[] run(String method, float[] base, long[] shape, List<Contributor> contributors, Map<String, Object> global,
            String tensorName, int sliceElements, ExecutorService pool) {
        return run(registry.get(method), base, shape, contributors, global, tensorName, sliceElements, pool);
    }

    /**
     * A config without {@code base_model}, as the planner runs it: the first model is the reference the others are
     * deltas from, and takes part with a zero delta.
     */
    float[] runWithoutBase(String method, List<float[]> models, Map<String, Object> global) {
        float[] first = models.getFirst();
        List<Contributor> contributors = new ArrayList<>();
        for (int i = 0; i < models.size(); i++) {
            float[] delta = new float[first.length];
            for (int j = 0; j < delta.length; j++) {
                delta[j] = models.get(i)[j] - first[j];
            }
            contributors.add(new Contributor("m" + i, Map.of(), delta));
        }
        return run(registry.get(method).withoutBase(), first, new long[] {first.length}, contributors, global,
                "t.weight", 1 << 20, null);
    }

    private float[] run(MergeMethod m, float[] base, long[] shape, List<Contributor> contributors,
            Map<String, Object> global, String tensorName, int sliceElements, ExecutorService pool) {
        List<ModelEntry> models = new ArrayList<>();
        for (Contributor c : contributors) {
            models.add(new ModelEntry(c.id(), toValues(c.parameters())));
        }
        ParameterResolver resolver = new ParameterResolver(m, models, toValues(global));
        TensorParameters params = resolver.resolve(tensorName, 0);
        long seed = params.seed(0);
        TensorContext ctx = new TensorContext(tensorName, shape,
                contributors.stream().map(Contributor::id).toList(), params, seed, warnings::add,
                new io.fedmerge.core.align.AttentionLayout(base.length, 1, 1, base.length), reports::add);
        m.validate(ctx);
        TensorMerge merge = m.forTensor(ctx);
        float[] out = new float[base.length];
        long row = shape.length <= 1 ? base.length : base.length / shape[0];
        new TensorMergeRunner(pool, sliceElements, Math.max(1, sliceElements / 2)).run(merge, base.length, row,
                contributors.size(),
                (first, length, arena) -> (offset, len, b, d) -> {
                    System.arraycopy(base, (int) first + offset, b, 0, len);
                    for (int i = 0; i < contributors.size(); i++) {
                        System.arraycopy(contributors.get(i).delta(), (int) first + offset, d[i], 0, len);
                    }
                },
                (first, values, len) -> System.arraycopy(values, 0, out, (int) first, len));
        return out;
    }

    float[] run(String method, float[] base, List<Contributor> contributors, Map<String, Object> global) {
        return run(method, base, new long[] {base.length}, contributors, global, "t.weight", 1 << 20, null);
    }

    private static Map<String, ParameterValue> toValues(Map<String, Object> raw) {
        Map<String, ParameterValue> out = new LinkedHashMap<>();
        raw.forEach((k, v) -> out.put(k, new ParameterValue.Scalar(v instanceof Number n ? (Object) n.doubleValue() : v)));
        return out;
    }
}
