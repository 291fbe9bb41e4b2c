package io.fedmerge.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.TensorSpec;
import io.fedmerge.core.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad input named by the merge-core issue: a specific message, exit code 1, and no output directory. */
class BadInputTest {
    @TempDir
    static Path dir;

    static Path models;

    @BeforeAll
    static void generate() {
        models = dir.resolve("m");
        assertThat(CliRun.of("generate", "--out", models.toString(), "--preset", "tiny", "--variants", "2",
                "--seed", "9").exitCode()).isZero();
    }

    /** Writes a copy of hospital-1 with its tensor list and values changed by the caller. */
    static Path variant(String name, java.util.function.UnaryOperator<List<TensorSpec>> specsEdit,
            java.util.function.BiConsumer<String, float[]> valuesEdit) {
        Path target = models.resolve(name);
        try (Checkpoint src = Checkpoint.open(models.resolve("hospital-1"))) {
            List<TensorSpec> specs = new ArrayList<>();
            for (String t : src.tensorNames()) {
                specs.add(new TensorSpec(t, src.info(t).dtype(), src.info(t).shape()));
            }
            specs = specsEdit.apply(specs);
            CheckpointWriter w = new CheckpointWriter(target, specs, CheckpointWriter.DEFAULT_SHARD_BYTES, Map.of());
            for (TensorSpec s : specs) {
                float[] v = new float[(int) s.elementCount()];
                if (src.contains(s.name())) {
                    src.readFloats(s.name(), 0, (int) Math.min(v.length, src.info(s.name()).elementCount()), v);
                }
                valuesEdit.accept(s.name(), v);
                w.write(s.name(), 0, v, v.length);
            }
            w.commit();
        }
        return target;
    }

    static CliRun mergeExpectingFailure(String yaml, String... fragments) throws Exception {
        Path cfg = Files.writeString(models.resolve("bad-" + System.nanoTime() + ".yml"), yaml);
        Path out = dir.resolve("out-" + System.nanoTime());
        CliRun run = CliRun.of("merge", cfg.toString(), out.toString());
        assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
        assertThat(run.err()).contains("error: ").contains(fragments);
        assertThat(out).doesNotExist();
        try (var siblings = Files.list(dir)) {
            assertThat(siblings.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".partial-"));
        }
        return run;
    }

    static String twoModels(String method, String second, String extra) {
        return "merge_method: " + method + "\nbase_model: base\nmodels:\n"
                + "  - model: hospital-1\n    parameters: {weight: 0.5}\n"
                + "  - model: " + second + "\n    parameters: {weight: 0.5}\n" + extra;
    }

    @Test
    void missingTensor() throws Exception {
        variant("missing", s -> s.stream().filter(t -> !t.name().equals("model.norm.weight")).toList(), (n, v) -> {});
        mergeExpectingFailure(twoModels("task_arithmetic", "missing", ""),
                "model missing has no tensor 'model.norm.weight'");
    }

    @Test
    void extraTensor() throws Exception {
        variant("extra", s -> {
            List<TensorSpec> l = new ArrayList<>(s);
            l.add(new TensorSpec("model.rotary.inv_freq", DType.F32, new long[] {4}));
            return l;
        }, (n, v) -> {});
        mergeExpectingFailure(twoModels("task_arithmetic", "extra", ""),
                "has tensor 'model.rotary.inv_freq' which the base does not have");
    }

    @Test
    void shapeMismatch() throws Exception {
        variant("reshaped", s -> s.stream().map(t -> t.name().endsWith("0.self_attn.q_proj.weight")
                ? new TensorSpec(t.name(), t.dtype(), new long[] {32, 128}) : t).toList(), (n, v) -> {});
        mergeExpectingFailure(twoModels("task_arithmetic", "reshaped", ""),
                "tensor 'model.layers.0.self_attn.q_proj.weight' has shape [32, 128] but the base has [64, 64]");
    }

    @Test
    void fewerVocabularyRowsThanTheBase() throws Exception {
        variant("small-vocab", s -> s.stream().map(t -> t.name().equals("lm_head.weight")
                ? new TensorSpec(t.name(), t.dtype(), new long[] {200, 64}) : t).toList(), (n, v) -> {});
        mergeExpectingFailure(twoModels("linear", "small-vocab", ""), "fewer vocabulary rows");
    }

    @Test
    void nanInAModel() throws Exception {
        variant("nan", s -> s, (n, v) -> {
            if (n.equals("model.layers.1.mlp.up_proj.weight")) {
                v[77] = Float.NaN;
            }
        });
        mergeExpectingFailure(twoModels("ties", "nan", ""),
                "model nan: tensor 'model.layers.1.mlp.up_proj.weight' element 77 is NaN");
    }

    @Test
    void infinityInAModel() throws Exception {
        variant("inf", s -> s, (n, v) -> {
            if (n.equals("lm_head.weight")) {
                v[3] = Float.POSITIVE_INFINITY;
            }
        });
        mergeExpectingFailure(twoModels("linear", "inf", ""), "tensor 'lm_head.weight' element 3 is Infinity");
    }

    @Test
    void taskVectorMadeAgainstAnotherBase() throws Exception {
        Path tv = models.resolve("other-base.safetensors");
        CliRun made = CliRun.of("task-vector", "--base", models.resolve("hospital-2").toString(), "--finetuned",
                models.resolve("hospital-1").toString(), "--out", tv.toString());
        assertThat(made.exitCode()).as(made.err()).isZero();
        mergeExpectingFailure(twoModels("task_arithmetic", "other-base.safetensors", ""),
                "was made against base digest", "rebuild the task vector against this base");
    }

    @Test
    void unknownTopLevelKey() throws Exception {
        mergeExpectingFailure(twoModels("ties", "hospital-2", "densty: 0.5\n"), "unknown key 'densty' at the top level");
    }

    @Test
    void unknownParameter() throws Exception {
        mergeExpectingFailure(twoModels("ties", "hospital-2", "parameters: {densty: 0.1}\n"),
                "unknown parameter 'densty'", "for merge_method ties", "it accepts: density");
    }

    @Test
    void unknownParameterOfOneModel() throws Exception {
        mergeExpectingFailure("merge_method: model_stock\nbase_model: base\nmodels:\n"
                + "  - model: hospital-1\n    parameters: {wieght: 0.5}\n  - model: hospital-2\n",
                "unknown parameter 'wieght' in parameters of model hospital-1 for merge_method model_stock");
    }

    @Test
    void densityOutOfRange() throws Exception {
        mergeExpectingFailure(twoModels("ties", "hospital-2", "parameters: {density: 1.5}\n"),
                "parameter 'density' in parameters is 1.5; expected 0 < density <= 1");
    }

    @Test
    void densityInAGradientOutOfRange() throws Exception {
        mergeExpectingFailure(twoModels("ties", "hospital-2", "parameters: {density: [0.5, 0.0]}\n"),
                "parameter 'density'", "is 0.0; expected 0 < density <= 1");
    }

    @Test
    void missingRequiredWeight() throws Exception {
        String yaml = "merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - model: hospital-1\n";
        mergeExpectingFailure(yaml, "parameter 'weight' of task_arithmetic is required but not set for model hospital-1");
    }

    @Test
    void unknownMethod() throws Exception {
        mergeExpectingFailure(twoModels("frankenmerge", "hospital-2", ""), "unknown merge_method 'frankenmerge'");
    }

    @Test
    void linearWeightsSummingToZero() throws Exception {
        String yaml = "merge_method: linear\nbase_model: base\nmodels:\n"
                + "  - model: hospital-1\n    parameters: {weight: 1}\n"
                + "  - model: hospital-2\n    parameters: {weight: -1}\n";
        mergeExpectingFailure(yaml, "weights sum to 0.0", "set normalize: false");
    }

    @Test
    void globalParameterPerModel() throws Exception {
        String yaml = "merge_method: ties\nbase_model: base\nmodels:\n"
                + "  - model: hospital-1\n    parameters: {weight: 1, lambda: 2}\n";
        mergeExpectingFailure(yaml, "parameter 'lambda' of ties applies to the whole merge");
    }

    @Test
    void missingModelDirectory() throws Exception {
        mergeExpectingFailure(twoModels("linear", "hospital-9", ""), "hospital-9", "no such checkpoint directory");
    }

    @Test
    void invalidYaml() throws Exception {
        mergeExpectingFailure("merge_method: [ties\n", "config is not valid YAML");
    }

    @Test
    void aValueSnakeYamlMistakesForANumber() throws Exception {
        // found by MergeConfigFuzzTest: SnakeYAML resolves "._" as a float and then cannot read it
        mergeExpectingFailure("merge_method: linear\nbase_model: base\nmodels:\n  - model: a\n    parameters:\n"
                + "      weight: ._\n", "looks like a number but is not one", "quote it");
    }

    @Test
    void slicesWithoutSources() throws Exception {
        mergeExpectingFailure("slices: []\nmerge_method: linear\n", "'slices' must be a non-empty list");
    }

    @Test
    void outputDirectoryNotEmpty() throws Exception {
        Path cfg = Files.writeString(models.resolve("ok.yml"), twoModels("linear", "hospital-2", ""));
        CliRun run = CliRun.of("merge", cfg.toString(), models.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("is not empty; choose a new directory");
    }
}
