package io.fedmerge.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointDigest;
import io.fedmerge.core.io.TaskVectorFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskVectorCliTest {
    @TempDir
    static Path dir;

    static Path models;

    @BeforeAll
    static void generate() {
        models = dir.resolve("m");
        CliRun run = CliRun.of("generate", "--out", models.toString(), "--preset", "tiny", "--variants", "2", "--seed",
                "3", "--extra-vocab", "5");
        assertThat(run.exitCode()).as(run.err()).isZero();
    }

    @Test
    void recordsTheBaseDigestAndDropsExtraVocabularyRows() {
        Path tv = dir.resolve("h1.safetensors");
        CliRun run = CliRun.of("task-vector", "--base", models.resolve("base").toString(), "--finetuned",
                models.resolve("hospital-1").toString(), "--out", tv.toString(), "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).contains("tensor 'model.embed_tokens.weight' has 261 vocabulary rows, the base 256");
        try (Checkpoint t = Checkpoint.open(tv); Checkpoint base = Checkpoint.open(models.resolve("base"))) {
            assertThat(t.metadata()).containsEntry(TaskVectorFormat.FORMAT, "task_vector")
                    .containsEntry(TaskVectorFormat.BASE_DIGEST, CheckpointDigest.of(base))
                    .containsEntry(TaskVectorFormat.STORED_DTYPE, "F32")
                    .containsKey(TaskVectorFormat.TRUNCATED);
            assertThat(t.info("lm_head.weight").shape()).containsExactly(256, 64);
            float[] d = new float[64];
            float[] b = new float[64];
            float[] f = new float[64];
            t.readFloats("model.layers.1.self_attn.v_proj.weight", 64, 64, d);
            base.readFloats("model.layers.1.self_attn.v_proj.weight", 64, 64, b);
            try (Checkpoint tuned = Checkpoint.open(models.resolve("hospital-1"))) {
                tuned.readFloats("model.layers.1.self_attn.v_proj.weight", 64, 64, f);
            }
            for (int i = 0; i < 64; i++) {
                assertThat(d[i]).isEqualTo(f[i] - b[i]);
            }
        }
    }

    @Test
    void mergingTaskVectorsEqualsMergingCheckpoints() throws Exception {
        for (int h = 1; h <= 2; h++) {
            CliRun run = CliRun.of("task-vector", "--base", models.resolve("base").toString(), "--finetuned",
                    models.resolve("hospital-" + h).toString(), "--out", models.resolve("tv-" + h + ".safetensors")
                            .toString());
            assertThat(run.exitCode()).as(run.err()).isZero();
        }
        String body = "merge_method: ties\nbase_model: base\nmodels:\n"
                + "  - model: %s\n    parameters: {weight: 0.6, density: 0.5}\n"
                + "  - model: %s\n    parameters: {weight: 0.4, density: 0.5}\n";
        Path fromCheckpoints = Files.writeString(models.resolve("ckpt.yml"), body.formatted("hospital-1", "hospital-2"));
        Path fromVectors = Files.writeString(models.resolve("tv.yml"),
                body.formatted("tv-1.safetensors", "tv-2.safetensors"));
        Path a = dir.resolve("from-checkpoints");
        Path b = dir.resolve("from-vectors");
        assertThat(CliRun.of("merge", fromCheckpoints.toString(), a.toString()).exitCode()).isZero();
        CliRun run = CliRun.of("merge", fromVectors.toString(), b.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        // Contributor ids differ (they key DARE's random streams), but TIES has no randomness: same bytes.
        assertThat(Files.readAllBytes(b.resolve("model.safetensors")))
                .isEqualTo(Files.readAllBytes(a.resolve("model.safetensors")));
    }

    @Test
    void refusesToOverwriteAnExistingFile() throws Exception {
        Path existing = Files.writeString(dir.resolve("exists.safetensors"), "x");
        CliRun run = CliRun.of("task-vector", "--base", models.resolve("base").toString(), "--finetuned",
                models.resolve("hospital-1").toString(), "--out", existing.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("already exists");
    }
}
