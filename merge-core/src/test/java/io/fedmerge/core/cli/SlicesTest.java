package io.fedmerge.core.cli;

import static io.fedmerge.core.cli.GeneratedModels.read;
import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * mergekit's {@code slices:} form, from its examples and tests: the same layers stacked twice
 * ({@code test_gpt2_stack}), a frankenmerge of two models' ranges (examples/orcamini-platy-44layer.yml), and SLERP
 * with per-slice parameters, each checked tensor by tensor against the inputs or the equivalent whole-model merge.
 */
class SlicesTest {
    @TempDir
    static Path dir;

    static Path models;

    @BeforeAll
    static void generate() {
        models = GeneratedModels.tiny(dir, 2, 51, "--layers", "4");
    }

    @Test
    void stackingTheSameLayersTwiceDoublesTheStack() throws Exception {
        Path out = merge("stack", """
                merge_method: passthrough
                slices:
                  - sources:
                      - {model: hospital-1, layer_range: [0, 4]}
                  - sources:
                      - {model: hospital-1, layer_range: [0, 4]}
                dtype: float32
                """);
        assertThat(layers(out)).isEqualTo(8);
        try (Checkpoint c = Checkpoint.open(out); Checkpoint a = Checkpoint.open(models.resolve("hospital-1"))) {
            assertThat(c.tensorNames()).hasSize(a.tensorNames().size() + 4 * perLayer(a));
            for (int layer = 0; layer < 8; layer++) {
                for (String suffix : suffixes(a)) {
                    assertThat(read(c, "model.layers." + layer + "." + suffix))
                            .isEqualTo(read(a, "model.layers." + layer % 4 + "." + suffix));
                }
            }
            assertThat(read(c, "model.embed_tokens.weight")).isEqualTo(read(a, "model.embed_tokens.weight"));
            assertThat(read(c, "lm_head.weight")).isEqualTo(read(a, "lm_head.weight"));
        }
    }

    @Test
    void aFrankenmergeTakesEmbeddingsFromTheFirstSliceAndTheHeadFromTheLast() throws Exception {
        Path out = merge("franken", """
                merge_method: passthrough
                slices:
                  - sources:
                      - model: hospital-1
                        layer_range: [0, 2]
                  - sources:
                      - model: hospital-2
                        layer_range: [1, 4]
                dtype: float32
                """);
        assertThat(layers(out)).isEqualTo(5);
        try (Checkpoint c = Checkpoint.open(out); Checkpoint a = Checkpoint.open(models.resolve("hospital-1"));
                Checkpoint b = Checkpoint.open(models.resolve("hospital-2"))) {
            for (String suffix : suffixes(a)) {
                assertThat(read(c, "model.layers.0." + suffix)).isEqualTo(read(a, "model.layers.0." + suffix));
                assertThat(read(c, "model.layers.1." + suffix)).isEqualTo(read(a, "model.layers.1." + suffix));
                for (int i = 0; i < 3; i++) {
                    assertThat(read(c, "model.layers." + (2 + i) + "." + suffix))
                            .isEqualTo(read(b, "model.layers." + (1 + i) + "." + suffix));
                }
            }
            assertThat(read(c, "model.embed_tokens.weight")).isEqualTo(read(a, "model.embed_tokens.weight"));
            assertThat(read(c, "model.norm.weight")).isEqualTo(read(b, "model.norm.weight"));
            assertThat(read(c, "lm_head.weight")).isEqualTo(read(b, "lm_head.weight"));
            assertThat(c.tensorNames().indexOf("model.layers.4.mlp.down_proj.weight"))
                    .isGreaterThan(c.tensorNames().indexOf("model.layers.0.mlp.down_proj.weight"));
        }
    }

    @Test
    void oneSliceOverTheWholeStackIsTheModelsForm() throws Exception {
        String models = "merge_method: slerp\nbase_model: base\nmodels:\n  - model: hospital-1\n"
                + "parameters:\n  t:\n    - filter: self_attn\n      value: [0, 0.5, 1]\n    - value: 0.3\n";
        Path whole = merge("slerp-models", models + "dtype: float32\n");
        Path sliced = merge("slerp-slices", """
                merge_method: slerp
                base_model: base
                slices:
                  - sources:
                      - {model: base, layer_range: [0, 4]}
                      - {model: hospital-1, layer_range: [0, 4]}
                parameters:
                  t:
                    - filter: self_attn
                      value: [0, 0.5, 1]
                    - value: 0.3
                dtype: float32
                """);
        try (Checkpoint w = Checkpoint.open(whole); Checkpoint s = Checkpoint.open(sliced)) {
            assertThat(s.tensorNames()).containsExactlyInAnyOrderElementsOf(w.tensorNames());
            for (String name : w.tensorNames()) {
                assertThat(read(s, name)).as(name).isEqualTo(read(w, name));
            }
        }
        assertThat(layers(sliced)).isEqualTo(4);
    }

    @Test
    void mergekitsGradientSlerpExampleWithItsPatternSpelling() throws Exception {
        String t = """
                  t:
                    - %s: self_attn
                      value: [0, 0.5, 0.3, 0.7, 1]
                    - %s: mlp
                      value: [1, 0.5, 0.7, 0.3, 0]
                    - value: 0.5
                dtype: float32
                """;
        Path example = merge("gradient-slerp", """
                slices:
                  - sources:
                      - model: base
                        layer_range: [0, 4]
                      - model: hospital-2
                        layer_range: [0, 4]
                merge_method: slerp
                base_model: base
                parameters:
                """ + t.formatted("pattern", "pattern"));
        Path whole = merge("gradient-slerp-models", "merge_method: slerp\nbase_model: base\nmodels:\n"
                + "  - model: hospital-2\nparameters:\n" + t.formatted("filter", "filter"));
        try (Checkpoint e = Checkpoint.open(example); Checkpoint w = Checkpoint.open(whole)) {
            for (String name : w.tensorNames()) {
                assertThat(read(e, name)).as(name).isEqualTo(read(w, name));
            }
        }
    }

    @Test
    void eachSliceHasItsOwnParametersAndGradientStack() throws Exception {
        Path low = merge("t03", "merge_method: slerp\nbase_model: base\nmodels:\n  - model: hospital-1\n"
                + "parameters: {t: 0.3}\ndtype: float32\n");
        Path high = merge("t07", "merge_method: slerp\nbase_model: base\nmodels:\n  - model: hospital-1\n"
                + "parameters: {t: 0.7}\ndtype: float32\n");
        Path sliced = merge("two-slices", """
                merge_method: slerp
                base_model: base
                slices:
                  - sources:
                      - {model: base, layer_range: [0, 2]}
                      - {model: hospital-1, layer_range: [0, 2]}
                    parameters: {t: 0.3}
                  - sources:
                      - {model: base, layer_range: [2, 4]}
                      - {model: hospital-1, layer_range: [2, 4]}
                    parameters: {t: 0.7}
                parameters: {t: 0.5}
                dtype: float32
                """);
        try (Checkpoint s = Checkpoint.open(sliced); Checkpoint l = Checkpoint.open(low);
                Checkpoint h = Checkpoint.open(high)) {
            for (String name : s.tensorNames()) {
                boolean firstSlice = name.startsWith("model.layers.0.") || name.startsWith("model.layers.1.")
                        || name.contains("embed");
                assertThat(read(s, name)).as(name).isEqualTo(read(firstSlice ? l : h, name));
            }
        }
    }

    @Test
    void aSlicesOwnBaseModelReplacesTheTopLevelOneForThatSliceAsInMergekit() throws Exception {
        Path overBase = merge("ta-over-base", "merge_method: task_arithmetic\nbase_model: base\nmodels:\n"
                + "  - model: hospital-1\n  - model: hospital-2\nparameters: {weight: 0.5}\ndtype: float32\n");
        Path overTwo = merge("ta-over-h2", "merge_method: task_arithmetic\nbase_model: hospital-2\nmodels:\n"
                + "  - model: hospital-1\n  - model: base\nparameters: {weight: 0.5}\ndtype: float32\n");
        String sliced = """
                merge_method: task_arithmetic
                base_model: base
                slices:
                  - sources:
                      - {model: base, layer_range: [0, 2]}
                      - {model: hospital-1, layer_range: [0, 2]}
                      - {model: hospital-2, layer_range: [0, 2]}
                  - sources:
                      - {model: base, layer_range: [2, 4]}
                      - {model: hospital-1, layer_range: [2, 4]}
                      - {model: hospital-2, layer_range: [2, 4]}
                    base_model: hospital-2
                    residual_weight: 0.25
                parameters: {weight: 0.5}
                dtype: float32
                """;
        assertThat(mergeRun("slice-bases", sliced).err()).contains("slices[1]: residual_weight 0.25 is ignored");

        try (Checkpoint s = Checkpoint.open(dir.resolve("slice-bases")); Checkpoint a = Checkpoint.open(overBase);
                Checkpoint b = Checkpoint.open(overTwo)) {
            assertThat(s.tensorNames()).hasSameSizeAs(a.tensorNames());
            for (String name : s.tensorNames()) {
                // the embeddings follow the first slice, the final norm and head the last one, as in mergekit
                boolean firstSlice = name.startsWith("model.layers.0.") || name.startsWith("model.layers.1.")
                        || name.contains("embed");
                assertThat(read(s, name)).as(name).isEqualTo(read(firstSlice ? a : b, name));
            }
            assertThat(read(a, "model.layers.3.mlp.up_proj.weight"))
                    .as("the two bases give different merges: the test can tell them apart")
                    .isNotEqualTo(read(b, "model.layers.3.mlp.up_proj.weight"));
        }
    }

    @Test
    void badSlicesSayWhatIsWrong() throws Exception {
        expectFailure("merge_method: passthrough\nslices:\n  - sources:\n"
                + "      - {model: hospital-1, layer_range: [2, 6]}\n", "slices[0].sources[0].layer_range [2, 6]"
                + " goes past the 4 layers of hospital-1");
        expectFailure("merge_method: linear\nslices:\n  - sources:\n      - {model: hospital-1, layer_range: [0, 2]}\n"
                + "      - {model: hospital-2, layer_range: [0, 3]}\n", "every source of a slice must span the same"
                + " number of layers");
        expectFailure("merge_method: linear\nslices:\n  - sources:\n      - {model: hospital-1, layer_range: [0, 2]}\n"
                + "      - {model: hospital-1, layer_range: [2, 4]}\n", "takes model hospital-1 twice");
        expectFailure("merge_method: linear\nmodels:\n  - model: hospital-1\nslices:\n  - sources:\n"
                + "      - {model: hospital-1, layer_range: [0, 2]}\n", "either 'models'", "not both");
        expectFailure("merge_method: passthrough\nslices:\n  - sources:\n      - {model: hospital-1, layer_range: 2}\n",
                "layer_range must be [start, end]");
        expectFailure("merge_method: passthrough\nslices:\n  - sources:\n      - {model: hospital-1, layer_range: [0, 2]}\n"
                + "    residual_weight: high\n", "slices[0].residual_weight must be a number");
        expectFailure("merge_method: passthrough\nslices:\n  - sources:\n      - {model: hospital-1, layer_range: [0, 2]}\n"
                + "    base_modle: hospital-1\n", "unknown key 'base_modle' in slices[0]");
    }

    private static void expectFailure(String yaml, String... fragments) throws Exception {
        Path cfg = Files.writeString(models.resolve("bad-" + System.nanoTime() + ".yml"), yaml);
        Path out = dir.resolve("bad-out-" + System.nanoTime());
        CliRun r = CliRun.of("merge", cfg.toString(), out.toString());
        assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains(fragments);
        assertThat(out).doesNotExist();
    }

    private static Path merge(String name, String yaml) throws Exception {
        mergeRun(name, yaml);
        return dir.resolve(name);
    }

    /** Merges {@code yaml} into dir/{@code name}, which must succeed; the run, for its messages. */
    private static CliRun mergeRun(String name, String yaml) throws Exception {
        Path cfg = Files.writeString(models.resolve(name + ".yml"), yaml);
        CliRun r = CliRun.of("merge", cfg.toString(), dir.resolve(name).toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        return r;
    }

    private static int layers(Path model) throws Exception {
        return JsonMapper.builder().build().readTree(Files.readString(model.resolve("config.json")))
                .get("num_hidden_layers").intValue();
    }

    private static int perLayer(Checkpoint c) {
        return suffixes(c).size();
    }

    private static java.util.List<String> suffixes(Checkpoint c) {
        return c.tensorNames().stream().filter(n -> n.startsWith("model.layers.0."))
                .map(n -> n.substring("model.layers.0.".length())).toList();
    }

}
