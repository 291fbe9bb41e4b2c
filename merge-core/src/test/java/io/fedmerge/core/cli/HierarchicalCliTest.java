package io.fedmerge.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.TensorSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The paper's method end to end on generated tiny checkpoints (H = 4, H_kv = 2, d_h = 16). */
class HierarchicalCliTest {
    @TempDir
    static Path dir;

    static Path models;
    static final int[] PI = {3, 2, 0, 1};
    static final int[] SIGMA = {1, 0};
    static final int DH = 16;

    @BeforeAll
    static void generate() {
        models = dir.resolve("m");
        assertThat(CliRun.of("generate", "--out", models.toString(), "--preset", "tiny", "--variants", "3", "--seed",
                "21").exitCode()).isZero();
        writePermutedCopy(models.resolve("hospital-1"), models.resolve("hospital-1-moved"));
    }

    /** hospital-1 with layer 0's heads moved: query head π(h) holds head h, KV group σ(g) holds group g. */
    static void writePermutedCopy(Path from, Path to) {
        try (Checkpoint src = Checkpoint.open(from)) {
            List<TensorSpec> specs = new ArrayList<>();
            for (String t : src.tensorNames()) {
                specs.add(new TensorSpec(t, src.info(t).dtype(), src.info(t).shape()));
            }
            CheckpointWriter w = new CheckpointWriter(to, specs, CheckpointWriter.DEFAULT_SHARD_BYTES, Map.of());
            for (TensorSpec s : specs) {
                int rows = (int) s.shape()[0];
                int cols = s.shape().length == 2 ? (int) s.shape()[1] : 1;
                float[] v = new float[rows * cols];
                src.readFloats(s.name(), 0, v.length, v);
                float[] out = v.clone();
                String n = s.name();
                if (n.startsWith("model.layers.0.self_attn.")) {
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < cols; c++) {
                            int[] perm = n.contains("q_proj") || n.contains("o_proj") ? PI : SIGMA;
                            if (n.contains("o_proj")) {
                                out[r * cols + perm[c / DH] * DH + c % DH] = v[r * cols + c];
                            } else {
                                out[(perm[r / DH] * DH + r % DH) * cols + c] = v[r * cols + c];
                            }
                        }
                    }
                }
                w.write(s.name(), 0, out, out.length);
            }
            w.addFile("config.json", "{}");
            w.commit();
        }
    }

    static CliRun merge(String name, String yaml) throws Exception {
        Path cfg = Files.writeString(models.resolve(name + ".yml"), yaml);
        CliRun run = CliRun.of("merge", cfg.toString(), dir.resolve(name).toString(), "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        return run;
    }

    static byte[] weights(String name) throws Exception {
        return Files.readAllBytes(dir.resolve(name).resolve("model.safetensors"));
    }

    static String config(String extra, String... models) {
        StringBuilder b = new StringBuilder("merge_method: hierarchical_cosine_ot_lerp\nbase_model: base\nmodels:\n");
        for (String m : models) {
            b.append("  - model: ").append(m).append("\n    parameters: {weight: 0.5}\n");
        }
        return b.append(extra).toString();
    }

    @Test
    void recoversAPlantedHeadPermutation() throws Exception {
        CliRun moved = merge("planted", config("", "hospital-1-moved"));
        merge("plain", config("", "hospital-1"));
        assertThat(weights("planted")).isEqualTo(weights("plain"));
        assertThat(moved.out()).contains("\"unit\" : \"model.layers.0.self_attn.q_proj.weight\"")
                .contains("\"permuted\" : [ \"hospital-1-moved\" ]");
    }

    @Test
    void sameBaseFineTunesKeepTheirHeadsAndOtChangesNothing() throws Exception {
        CliRun withOt = merge("ot-on", config("", "hospital-1", "hospital-2"));
        merge("ot-off", config("parameters: {ot: false}\n", "hospital-1", "hospital-2"));
        assertThat(withOt.out()).doesNotContain("\"permuted\" : [ \"");
        assertThat(weights("ot-on")).isEqualTo(weights("ot-off"));
    }

    @Test
    void isSymmetricInContributorOrder() throws Exception {
        merge("ab", config("", "hospital-1", "hospital-3"));
        merge("ba", config("", "hospital-3", "hospital-1"));
        assertThat(weights("ab")).isEqualTo(weights("ba"));
    }

    @Test
    void blockGranularityReportsOneWeightPerLayer() throws Exception {
        Path cfg = Files.writeString(models.resolve("block.yml"),
                config("parameters: {granularity: block}\n", "hospital-1", "hospital-2", "hospital-3"));
        CliRun run = CliRun.of("merge", cfg.toString(), dir.resolve("block").toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("model.layers.0 ", "model.layers.1 ", "min w", "reverted");
    }

    @Test
    void needsTheHeadCountForAlignment() throws Exception {
        Path cfg = Files.writeString(models.resolve("nohead.yml"), config("", "hospital-1").replace(
                "base_model: base", "base_model: hospital-1-moved").replace("model: hospital-1\n", "model: base\n"));
        CliRun run = CliRun.of("merge", cfg.toString(), dir.resolve("nohead").toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("needs num_attention_heads", "or set ot: false");
    }

    @Test
    void fusedAttentionSkipsAlignmentWithOneWarning() throws Exception {
        Path fused = dir.resolve("fused");
        for (String m : new String[] {"base", "tuned"}) {
            java.util.List<TensorSpec> specs = java.util.List.of(
                    new TensorSpec("model.layers.0.self_attn.qkv_proj.weight", io.fedmerge.core.tensor.DType.F32,
                            new long[] {48, 16}),
                    new TensorSpec("model.layers.0.self_attn.o_proj.weight", io.fedmerge.core.tensor.DType.F32,
                            new long[] {16, 16}));
            CheckpointWriter w = new CheckpointWriter(fused.resolve(m), specs, CheckpointWriter.DEFAULT_SHARD_BYTES,
                    Map.of());
            for (TensorSpec t : specs) {
                float[] v = new float[(int) t.elementCount()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (i % 7) * 0.1f + (m.equals("tuned") ? 0.01f : 0);
                }
                w.write(t.name(), 0, v, v.length);
            }
            w.addFile("config.json", "{\"hidden_size\": 16, \"num_attention_heads\": 4, \"num_key_value_heads\": 4}");
            w.commit();
        }
        Path cfg = Files.writeString(fused.resolve("h.yml"), "merge_method: hierarchical_cosine_ot_lerp\n"
                + "base_model: base\nmodels:\n  - model: tuned\n");
        CliRun run = CliRun.of("merge", cfg.toString(), dir.resolve("fused-out").toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err().split("head alignment skipped", -1)).hasSize(2); // exactly one warning
        assertThat(run.err()).contains("fused attention projections");
    }
}
