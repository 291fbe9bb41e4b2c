package io.fedmerge.core.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.fedmerge.core.adapter.PeftFixture;
import io.fedmerge.core.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Adapters through the commands around the merge: generate, inspect, task-vector, and bad adapters in a config. */
class AdapterCliTest {
    @TempDir
    static Path dir;

    static Path models;

    @BeforeAll
    static void generate() {
        models = dir.resolve("m");
        CliRun run = CliRun.of("generate", "--out", models.toString(), "--preset", "tiny", "--variants", "2", "--seed",
                "4", "--adapter-rank", "4");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("wrote 2 rank-4 LoRA adapters");
    }

    @Test
    void inspectDescribesRankTargetsAndScale() {
        CliRun run = CliRun.of("inspect", models.resolve("adapter-1").toString(), "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode o = JsonMapper.builder().build().readTree(run.out());
        assertThat(o.path("kind").asString()).isEqualTo("lora_adapter");
        assertThat(o.path("r").asInt()).isEqualTo(4);
        assertThat(o.path("modules")).hasSize(14); // 7 projections × 2 layers
        JsonNode q = o.path("modules").get(0);
        assertThat(q.path("module").asString()).isEqualTo("model.layers.0.self_attn.q_proj");
        assertThat(q.path("scale").asDouble()).isEqualTo(2.0); // generated α = 2r
        assertThat(q.path("delta").toString()).isEqualTo("[64,64]");
        CliRun text = CliRun.of("inspect", models.resolve("adapter-1").toString());
        assertThat(text.out()).contains("PEFT LoRA adapter, 14 adapted modules").contains("rank 4");
    }

    @Test
    void taskVectorOfAnAdapterIsItsDenseDelta() {
        Path tv = dir.resolve("a1.safetensors");
        CliRun run = CliRun.of("task-vector", "--base", models.resolve("base").toString(), "--adapter",
                models.resolve("adapter-1").toString(), "--out", tv.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        String w = "model.layers.1.mlp.down_proj.weight";
        try (Checkpoint t = Checkpoint.open(tv); Checkpoint a = Checkpoint.open(models.resolve("adapter-1")
                .resolve("adapter_model.safetensors"))) {
            float[] delta = MergeCliEndToEndTest.read(t, w);
            float[] factorA = MergeCliEndToEndTest.read(a, "base_model.model.model.layers.1.mlp.down_proj.lora_A.weight");
            float[] factorB = MergeCliEndToEndTest.read(a, "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight");
            // down_proj is [64, 128]: ΔW[o, i] = 2 · Σₖ B[o, k] A[k, i]
            for (int o = 0; o < 64; o += 7) {
                for (int i = 0; i < 128; i += 5) {
                    double want = 0;
                    for (int k = 0; k < 4; k++) {
                        want += (double) factorB[o * 4 + k] * factorA[k * 128 + i];
                    }
                    assertThat((double) delta[o * 128 + i]).isCloseTo(2 * want, within(1e-7));
                }
            }
            assertThat(MergeCliEndToEndTest.read(t, "model.norm.weight")).containsOnly(0f);
        }
    }

    @Test
    void fineTunedAndAdapterAreAlternatives() {
        CliRun both = CliRun.of("task-vector", "--base", models.resolve("base").toString(), "--adapter",
                models.resolve("adapter-1").toString(), "--finetuned", models.resolve("hospital-1").toString(),
                "--out", dir.resolve("x.safetensors").toString());
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
    }

    @Test
    void anAdapterForAnotherBaseFailsTheMergeBeforeAnythingIsWritten() throws Exception {
        new PeftFixture(2, 2).lora("model.layers.0.self_attn.q_proj", 64, 32, 2, 1, false, false, 1)
                .write(models.resolve("wrong"));
        Path cfg = Files.writeString(models.resolve("wrong.yml"), """
                merge_method: task_arithmetic
                base_model: base
                models:
                  - model: adapter-1
                  - model: wrong
                """);
        Path out = dir.resolve("wrong-out");
        CliRun run = CliRun.of("merge", cfg.toString(), out.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("adapter wrong: module 'model.layers.0.self_attn.q_proj' gives ΔW [64, 32]")
                .contains("is [64, 64]");
        assertThat(out).doesNotExist();
    }

    @Test
    void aPlusFormWhoseHalvesDoNotExistSaysWhatItExpected() throws Exception {
        Path cfg = Files.writeString(models.resolve("plus.yml"), """
                merge_method: task_arithmetic
                base_model: base
                models:
                  - model: base+nowhere
                """);
        CliRun run = CliRun.of("merge", cfg.toString(), dir.resolve("plus-out").toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("model 'base+nowhere' does not exist")
                .contains("path/to/model+path/to/adapter");
    }
}
