package io.fedmerge.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.method.MethodRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every registered method through `fedmerge merge` on tiny checkpoints: loadable, finite, dtypes kept, repeatable. */
class EveryMethodCliTest {
    @TempDir
    static Path dir;

    static Path models;

    /** Per-method model parameters and top-level parameters, and how many of the three hospitals take part. */
    static final Map<String, String[]> SETTINGS = Map.ofEntries(
            Map.entry("linear", new String[] {"{weight: 0.4}", "{}", "3"}),
            Map.entry("task_arithmetic", new String[] {"{weight: 0.4}", "{}", "3"}),
            Map.entry("ties", new String[] {"{weight: 0.4, density: 0.6}", "{}", "3"}),
            Map.entry("dare_ties", new String[] {"{weight: 0.4, density: 0.6}", "{random_seed: 11}", "3"}),
            Map.entry("dare_linear", new String[] {"{weight: 0.4, density: 0.6}", "{random_seed: 11}", "3"}),
            Map.entry("breadcrumbs", new String[] {"{weight: 0.4, density: 0.9, gamma: 0.01}", "{}", "3"}),
            Map.entry("breadcrumbs_ties", new String[] {"{weight: 0.4, density: 0.9, gamma: 0.01}", "{}", "3"}),
            Map.entry("della", new String[] {"{weight: 0.4, density: 0.6, epsilon: 0.05}", "{random_seed: 3}", "3"}),
            Map.entry("della_linear", new String[] {"{weight: 0.4, density: 0.6, epsilon: 0.05}", "{}", "3"}),
            Map.entry("slerp", new String[] {"{}", "{t: [0.2, 0.8]}", "1"}),
            Map.entry("hierarchical_cosine_ot_lerp", new String[] {"{weight: 0.5}", "{granularity: block}", "2"}),
            Map.entry("model_stock", new String[] {"{}", "{}", "3"}),
            Map.entry("nuslerp", new String[] {"{weight: 0.5}", "{}", "2"}),
            Map.entry("multislerp", new String[] {"{weight: 0.4}", "{}", "3"}),
            Map.entry("karcher", new String[] {"{}", "{}", "3"}),
            Map.entry("sce", new String[] {"{}", "{select_topk: 0.5}", "3"}),
            Map.entry("nearswap", new String[] {"{}", "{t: 0.001}", "1"}),
            Map.entry("passthrough", new String[] {"{}", "{}", "1"}),
            Map.entry("arcee_fusion", new String[] {"{}", "{}", "1"}),
            Map.entry("ram", new String[] {"{}", "{epsilon: 0.001}", "3"}),
            Map.entry("ramplus_tl", new String[] {"{}", "{r: 0.5, alpha: 0.3, epsilon: 0.001}", "3"}));

    @BeforeAll
    static void generate() {
        models = dir.resolve("m");
        assertThat(CliRun.of("generate", "--out", models.toString(), "--preset", "tiny", "--variants", "3", "--seed",
                "8").exitCode()).isZero();
    }

    static java.util.List<String> methods() {
        return new MethodRegistry().names();
    }

    @Test
    void everyRegisteredMethodIsCovered() {
        assertThat(SETTINGS.keySet()).containsExactlyInAnyOrderElementsOf(methods());
    }

    @ParameterizedTest
    @MethodSource("methods")
    void mergesRepeatably(String method) throws Exception {
        String[] s = SETTINGS.get(method);
        StringBuilder yaml = new StringBuilder("merge_method: " + method + "\nbase_model: base\nmodels:\n");
        for (int h = 1; h <= Integer.parseInt(s[2]); h++) {
            yaml.append("  - model: hospital-").append(h).append("\n    parameters: ").append(s[0]).append("\n");
        }
        yaml.append("parameters: ").append(s[1]).append("\n");
        Path cfg = Files.writeString(models.resolve(method + ".yml"), yaml);
        for (String run : new String[] {"1", "2"}) {
            CliRun r = CliRun.of("merge", cfg.toString(), dir.resolve(method + "-" + run).toString(), "--threads", run);
            assertThat(r.exitCode()).as(r.err()).isZero();
        }
        assertThat(Files.readAllBytes(dir.resolve(method + "-1/model.safetensors")))
                .isEqualTo(Files.readAllBytes(dir.resolve(method + "-2/model.safetensors")));
        try (Checkpoint out = Checkpoint.open(dir.resolve(method + "-1"));
                Checkpoint base = Checkpoint.open(models.resolve("base"))) {
            assertThat(out.tensorNames()).containsExactlyInAnyOrderElementsOf(base.tensorNames());
            boolean changed = false;
            for (String t : base.tensorNames()) {
                assertThat(out.info(t).dtype()).isEqualTo(base.info(t).dtype());
                float[] v = MergeCliEndToEndTest.read(out, t);
                float[] b = MergeCliEndToEndTest.read(base, t);
                for (int i = 0; i < v.length; i++) {
                    assertThat(Float.isFinite(v[i])).as("%s %s[%d]", method, t, i).isTrue();
                    changed |= v[i] != b[i];
                }
            }
            assertThat(changed).as("%s changed something", method).isTrue();
        }
    }
}
