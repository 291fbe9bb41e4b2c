package io.fedmerge.lowrank;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.adapter.PeftFixture;
import io.fedmerge.core.cli.CliRun;
import io.fedmerge.core.cli.FedmergeCli;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.TensorSpec;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.lowrank.cli.ExtractLoraCommand;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** `fedmerge extract-lora`: exact at full rank, exact on a truly low-rank fine-tune, honest about everything else. */
class LoraExtractorTest {
    @TempDir
    Path dir;

    static final List<TensorSpec> SPECS = List.of(
            new TensorSpec("model.layers.0.mlp.up_proj.weight", DType.F32, new long[] {40, 24}),
            new TensorSpec("model.layers.0.mlp.down_proj.weight", DType.F32, new long[] {24, 40}),
            new TensorSpec("model.layers.0.self_attn.q_proj.weight", DType.F32, new long[] {24, 24}),
            new TensorSpec("model.layers.0.input_layernorm.weight", DType.F32, new long[] {24}),
            new TensorSpec("model.norm.weight", DType.F32, new long[] {24}));

    /** Writes a checkpoint with values base(seed 1) + scale · noise(seed): scale 0 is the base itself. */
    Path checkpoint(String name, double scale, long seed) {
        try (CheckpointWriter w = new CheckpointWriter(dir.resolve(name), SPECS, CheckpointWriter.DEFAULT_SHARD_BYTES,
                Map.of("format", "pt"))) {
            Random base = new Random(1);
            Random noise = new Random(seed);
            for (TensorSpec s : SPECS) {
                float[] v = new float[(int) s.elementCount()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (base.nextGaussian() * 0.02 + scale * noise.nextGaussian());
                }
                if (s.name().equals("model.norm.weight")) {
                    v = new float[v.length]; // left as in the base: must not appear in the adapter
                }
                w.write(s.name(), 0, v, v.length);
            }
            return w.commit();
        }
    }

    static CliRun extractLora(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "extract-lora";
        System.arraycopy(args, 0, all, 1, args.length);
        return CliRun.with(() -> FedmergeCli.commandLine().addSubcommand("extract-lora", new ExtractLoraCommand()),
                all);
    }

    static JsonNode extract(String... args) {
        CliRun r = extractLora(args);
        assertThat(r.exitCode()).as(r.err()).isZero();
        return JsonMapper.builder().build().readTree(r.out());
    }

    @Test
    void atFullRankTheAdapterReproducesTheModel() {
        Path base = checkpoint("base", 0, 0);
        Path model = checkpoint("model", 0.003, 2);
        Path out = dir.resolve("full");
        JsonNode r = extract("--base", base.toString(), "--model", model.toString(), "--rank", "24",
                "--out", out.toString(), "--json");
        assertThat(r.path("modules")).hasSize(3);
        assertThat(r.path("worst_relative_error").asDouble()).isLessThan(1e-6);
        assertThat(r.path("saved").toString()).isEqualTo("[\"model.layers.0.input_layernorm.weight\"]");
        assertAppliedEquals(base, out, model, 1e-7);
    }

    @Test
    void aLowRankFineTuneIsRecoveredAtItsRank() {
        Path base = checkpoint("base", 0, 0);
        PeftFixture f = new PeftFixture(3, 3);
        f.lora("model.layers.0.mlp.up_proj", 40, 24, 3, 1, false, false, 5);
        f.lora("model.layers.0.self_attn.q_proj", 24, 24, 3, 1, false, false, 6);
        Path model;
        try (Checkpoint b = Checkpoint.open(base)) {
            model = f.materialise(b, dir.resolve("tuned"));
        }
        Path out = dir.resolve("r3");
        JsonNode r = extract("--base", base.toString(), "--model", model.toString(), "--rank", "3",
                "--out", out.toString(), "--json");
        assertThat(r.path("modules")).hasSize(2);
        assertThat(r.path("worst_relative_error").asDouble()).isLessThan(1e-5);
        assertAppliedEquals(base, out, model, 1e-7);
        try (LoraAdapter a = LoraAdapter.open(out)) {
            assertThat(a.config().r()).isEqualTo(3);
            // every up_proj and q_proj of the base is adapted, so the suffixes say it as PEFT users write it
            assertThat(a.config().targetModules()).containsExactly("up_proj", "q_proj");
        }
    }

    @Test
    void belowTheRankOfTheDifferenceTheErrorIsReportedPerModule() {
        Path base = checkpoint("base", 0, 0);
        Path model = checkpoint("model", 0.003, 3);
        CliRun text = extractLora("--base", base.toString(), "--model", model.toString(), "--rank", "4",
                "--out", dir.resolve("r4").toString());
        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out()).containsPattern("model.layers.0.mlp.up_proj +rank 4 +relative error 0\\.[6-9]")
                .contains("model.layers.0.input_layernorm.weight").contains("saved whole");
    }

    @Test
    void badRequestsSayWhatIsWrong() {
        Path base = checkpoint("base", 0, 0);
        Path model = checkpoint("model", 0.003, 4);
        CliRun same = extractLora("--base", base.toString(), "--model", base.toString(), "--rank", "2",
                "--out", dir.resolve("same").toString());
        assertThat(same.exitCode()).isEqualTo(1);
        assertThat(same.err()).contains("equals the base").contains("no difference to extract");
        Path tooHigh = dir.resolve("high");
        CliRun high = extractLora("--base", base.toString(), "--model", model.toString(), "--rank", "30",
                "--out", tooHigh.toString());
        assertThat(high.exitCode()).isEqualTo(1);
        assertThat(high.err()).contains("--rank 30 exceeds min(out, in) = 24 of model.layers.0.mlp.up_proj.weight");
        assertThat(tooHigh).doesNotExist();
    }

    /** base + the adapter's ΔW (through `task-vector --adapter`) equals the model, element by element. */
    void assertAppliedEquals(Path base, Path adapter, Path model, double tolerance) {
        Path tv = dir.resolve(adapter.getFileName() + ".safetensors");
        CliRun r = CliRun.of("task-vector", "--base", base.toString(), "--adapter", adapter.toString(), "--out",
                tv.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        try (Checkpoint t = Checkpoint.open(tv); Checkpoint b = Checkpoint.open(base);
                Checkpoint m = Checkpoint.open(model)) {
            for (String name : b.tensorNames()) {
                float[] d = MergedAdapterExportTest.read(t, name);
                float[] bv = MergedAdapterExportTest.read(b, name);
                float[] mv = MergedAdapterExportTest.read(m, name);
                for (int i = 0; i < d.length; i++) {
                    assertThat(Math.abs(bv[i] + d[i] - mv[i])).as("%s[%d]", name, i).isLessThan((float) tolerance);
                }
            }
        }
    }
}
