package io.fedmerge.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.adapter.PeftFixture;
import io.fedmerge.core.io.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every kind of PEFT adapter through `fedmerge merge`, against the same method on fine-tunes materialised by an
 * independent float64 W + s·B·A: rank/alpha patterns and an adapter name, rsLoRA with a regex target, an embedding
 * LoRA and a saved lm_head, fan_in_fan_out on a non-square weight, and a dense fine-tune mixed in. The two trees use
 * the same contributor names, so random methods draw the same masks.
 */
class AdapterMergeTest {
    @TempDir
    static Path dir;

    static Path adapters;
    static Path dense;

    @BeforeAll
    static void build() throws IOException {
        Path models = dir.resolve("m");
        assertThat(CliRun.of("generate", "--out", models.toString(), "--preset", "tiny", "--variants", "1", "--seed",
                "5").exitCode()).isZero();
        adapters = Files.createDirectories(dir.resolve("adapters"));
        dense = Files.createDirectories(dir.resolve("dense"));
        for (Path tree : new Path[] {adapters, dense}) {
            copy(models.resolve("base"), tree.resolve("base"));
            copy(models.resolve("hospital-1"), tree.resolve("hospital-d"));
        }
        try (Checkpoint base = Checkpoint.open(models.resolve("base"))) {
            PeftFixture a = patterned();
            a.write(adapters.resolve("hospital-a"));
            a.materialise(base, dense.resolve("hospital-a"));
            PeftFixture b = rsloraWithEmbeddingAndSavedHead(base);
            b.write(adapters.resolve("hospital-b"));
            b.materialise(base, dense.resolve("hospital-b"));
            PeftFixture c = fanInFanOut();
            c.write(adapters.resolve("hospital-c"));
            c.materialise(base, dense.resolve("hospital-c"));
        }
    }

    /** r = 4, α = 8; rank_pattern gives down_proj r = 2, alpha_pattern gives v_proj α = 3; keys carry ".default". */
    static PeftFixture patterned() {
        PeftFixture f = new PeftFixture(4, 8).adapterName("default");
        f.config().putArray("target_modules").add("q_proj").add("v_proj").add("down_proj");
        f.config().putObject("rank_pattern").put("down_proj", 2);
        f.config().putObject("alpha_pattern").put("v_proj", 3);
        for (int l = 0; l < 2; l++) {
            String p = "model.layers." + l + ".";
            f.lora(p + "self_attn.q_proj", 64, 64, 4, 8.0 / 4, false, false, 10 + l);
            f.lora(p + "self_attn.v_proj", 32, 64, 4, 3.0 / 4, false, false, 20 + l);
            f.lora(p + "mlp.down_proj", 64, 128, 2, 8.0 / 2, false, false, 30 + l);
        }
        return f;
    }

    /** rsLoRA (s = α/√r), a regex target_modules, LoRA on the embedding and lm_head saved whole. */
    static PeftFixture rsloraWithEmbeddingAndSavedHead(Checkpoint base) {
        double s = 16 / Math.sqrt(8);
        PeftFixture f = new PeftFixture(8, 16);
        f.config().put("use_rslora", true);
        f.config().put("target_modules", ".*\\.(k_proj|o_proj|embed_tokens)");
        f.config().putArray("modules_to_save").add("lm_head");
        for (int l = 0; l < 2; l++) {
            String p = "model.layers." + l + ".self_attn.";
            f.lora(p + "k_proj", 32, 64, 8, s, false, false, 40 + l);
            f.lora(p + "o_proj", 64, 64, 8, s, false, false, 50 + l);
        }
        f.lora("model.embed_tokens", 256, 64, 8, s, true, true, 60);
        float[] head = MergeCliEndToEndTest.read(base, "lm_head.weight");
        Random random = new Random(70);
        for (int i = 0; i < head.length; i++) {
            head[i] += (float) (random.nextGaussian() * 0.003);
        }
        return f.saved("lm_head.weight", new long[] {256, 64}, head);
    }

    /** fan_in_fan_out on gate_proj, stored [128, 64]: ΔW is (B·A)ᵀ with A [3, 128] and B [64, 3]. */
    static PeftFixture fanInFanOut() {
        PeftFixture f = new PeftFixture(3, 5);
        f.config().put("fan_in_fan_out", true);
        f.config().putArray("target_modules").add("gate_proj");
        f.config().putArray("layers_to_transform").add(1);
        f.lora("model.layers.1.mlp.gate_proj", 128, 64, 3, 5.0 / 3, true, false, 80);
        return f;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "linear                     | {weight: 0.3}                | {}",
        "task_arithmetic            | {weight: 0.7}                | {}",
        "ties                       | {weight: 0.6, density: 0.5}  | {}",
        "dare_ties                  | {weight: 0.6, density: 0.6}  | {random_seed: 3}",
        "dare_linear                | {weight: 0.5, density: 0.7}  | {random_seed: 9}",
        "breadcrumbs_ties           | {weight: 0.5, density: 0.9, gamma: 0.05} | {}",
        "hierarchical_cosine_ot_lerp | {weight: 0.5}               | {granularity: block}",
    })
    void adaptersMergeAsTheirMaterialisedFineTunes(String method, String modelParams, String params)
            throws IOException {
        String yaml = "merge_method: " + method + "\nbase_model: base\nout_dtype: float32\nmodels:\n"
                + entries(modelParams, "hospital-a", "hospital-b", "hospital-c", "hospital-d")
                + "parameters: " + params + "\n";
        Path fromAdapters = merge(adapters, method, yaml);
        Path fromDense = merge(dense, method, yaml);
        assertSameValues(fromAdapters, fromDense, method);
    }

    @Test
    void mergekitsModelPlusAdapterFormIsTheAdapterOnThatModel() throws IOException {
        // hospital-d+hospital-a: the dense fine-tune with adapter a on top, i.e. Δ = Δd + s·B·A
        try (Checkpoint d = Checkpoint.open(adapters.resolve("hospital-d"))) {
            patterned().materialise(d, dense.resolve("d-plus-a"));
        }
        String yaml = "merge_method: task_arithmetic\nbase_model: base\nout_dtype: float32\nmodels:\n"
                + "  - model: hospital-d+hospital-a\n    parameters: {weight: 0.8}\n";
        Path fromAdapter = merge(adapters, "plus", yaml);
        Path fromDense = merge(dense, "plus", yaml.replace("hospital-d+hospital-a", "d-plus-a"));
        assertSameValues(fromAdapter, fromDense, "MODEL+ADAPTER");
    }

    static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    static String entries(String params, String... names) {
        StringBuilder s = new StringBuilder();
        for (String n : names) {
            s.append("  - model: ").append(n).append("\n    parameters: ").append(params).append("\n");
        }
        return s.toString();
    }

    static Path merge(Path tree, String name, String yaml) throws IOException {
        Path cfg = Files.writeString(tree.resolve(name + ".yml"), yaml);
        Path out = tree.resolve("out-" + name);
        CliRun r = CliRun.of("merge", cfg.toString(), out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        return out;
    }

    /** Float32 round-off apart: the materialised tree rounds W + ΔW once, the streaming one computes ΔW in float. */
    static void assertSameValues(Path actualDir, Path expectedDir, String what) {
        try (Checkpoint actual = Checkpoint.open(actualDir); Checkpoint expected = Checkpoint.open(expectedDir)) {
            assertThat(actual.tensorNames()).containsExactlyElementsOf(expected.tensorNames());
            for (String t : expected.tensorNames()) {
                float[] x = MergeCliEndToEndTest.read(actual, t);
                float[] y = MergeCliEndToEndTest.read(expected, t);
                for (int i = 0; i < y.length; i++) {
                    double tolerance = 2e-6 + 1e-5 * Math.abs(y[i]);
                    assertThat(Math.abs(x[i] - y[i])).as("%s %s[%d]: %s vs %s", what, t, i, x[i], y[i])
                            .isLessThanOrEqualTo((float) tolerance);
                }
            }
        }
    }
}
