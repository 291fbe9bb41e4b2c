package io.fedmerge.eval.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.config.MergeConfigParser;
import io.fedmerge.core.generate.AdapterGenerator;
import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.method.MethodRegistry;
import io.fedmerge.core.plan.MergeExecutor;
import io.fedmerge.core.plan.MergePlan;
import io.fedmerge.core.plan.MergePlanner;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.eval.score.Scorer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forward pass against an independent float64 reference on generated tiny Mistral models: log-probabilities of
 * every next token at every position agree within 1e-3, a prompt run in pieces through the cache gives what one run
 * gives, and an adapter applied on the fly gives what the merged (materialised) model gives.
 */
class TransformerTest {
    @TempDir
    static Path dir;
    static Path models;

    @BeforeAll
    static void generate() {
        models = dir.resolve("m");
        new CheckpointGenerator().generate(models, new CheckpointGenerator.Options(ModelShape.preset("tiny"), 1, 3,
                DType.BF16, CheckpointWriter.DEFAULT_SHARD_BYTES, 0, 2), MergeProgress.NONE);
    }

    static int[] tokens(int n, long seed) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(64); // within every test model's vocabulary
        }
        return t;
    }

    @Test
    void everyPositionsLogProbabilitiesMatchTheFloat64Reference() {
        PeakyModel.write(models.resolve("peaky"), 9);
        int[] prompt = tokens(14, 1);
        for (String model : List.of("peaky", "base", "hospital-1")) {
            double[][] want;
            try (Checkpoint c = Checkpoint.open(models.resolve(model))) {
                want = new ReferenceForward(c, ModelConfig.parse(c.configJson(), model)).logProbs(prompt);
            }
            try (Transformer t = Transformer.open(models.resolve(model), null, 2)) {
                float[][] got = t.forward(prompt, t.newCache(), true);
                double spread = 0;
                for (int pos = 0; pos < prompt.length; pos++) {
                    for (int v = 0; v < got[pos].length; v++) {
                        assertThat(Scorer.logSoftmax(got[pos], v)).as("%s position %d token %d", model, pos, v)
                                .isCloseTo(want[pos][v], offset(1e-3));
                        spread = Math.max(spread, want[pos][v] - want[pos][0]);
                    }
                }
                assertThat(spread).as("the reference's log-probabilities differ enough to compare").isGreaterThan(0.1);
            }
        }
    }

    @Test
    void aPromptRunInPiecesThroughTheCacheEqualsOneRun() {
        int[] all = tokens(11, 2);
        try (Transformer t = Transformer.open(models.resolve("base"), null, 2)) {
            float[] once = t.forward(all, t.newCache(), false)[0];
            KvCache cache = t.newCache();
            t.forward(Arrays.copyOf(all, 7), cache, false);
            float[] pieces = t.forward(Arrays.copyOfRange(all, 7, 11), cache, false)[0];
            for (int v = 0; v < once.length; v++) {
                assertThat(pieces[v]).isCloseTo(once[v], offset(1e-5f));
            }
            cache.truncate(7);
            assertThat(cache.length()).isEqualTo(7);
            float[] again = t.forward(Arrays.copyOfRange(all, 7, 11), cache, false)[0];
            // Not bit-equal: the Vector API may add a reduction's lanes in another order once the JIT has compiled
            // the kernel (it did between the two runs in one CI run), which moves the last bit of a logit.
            for (int v = 0; v < once.length; v++) {
                assertThat(again[v]).as("after a truncation the cache is as before (token %d)", v)
                        .isCloseTo(pieces[v], offset(1e-6f));
            }
        }
    }

    @Test
    void anAdapterAppliedOnTheFlyGivesWhatTheMaterialisedModelGives() throws IOException {
        Path adapter = new AdapterGenerator().generate(models.resolve("base"), models, new AdapterGenerator.Options(4,
                8, AdapterGenerator.MISTRAL_TARGETS, 1, 5, DType.F32)).getFirst();
        Path merged = dir.resolve("materialised");
        String yaml = "merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - model: "
                + models.relativize(adapter) + "\n    parameters: {weight: 1.0}\ndtype: float32\n";
        try (MergePlan plan = new MergePlanner(new MethodRegistry()).plan(MergeConfigParser.parse(yaml, models))) {
            new MergeExecutor(2).execute(plan, merged, MergeProgress.NONE);
        }
        int[] prompt = tokens(9, 3);
        try (Transformer onTheFly = Transformer.open(models.resolve("base"), adapter, 2);
                Transformer materialised = Transformer.open(merged, null, 2);
                Transformer base = Transformer.open(models.resolve("base"), null, 2)) {
            float[] a = onTheFly.forward(prompt, onTheFly.newCache(), false)[0];
            float[] m = materialised.forward(prompt, materialised.newCache(), false)[0];
            float[] b = base.forward(prompt, base.newCache(), false)[0];
            double moved = 0;
            for (int v = 0; v < a.length; v++) {
                assertThat(a[v]).isCloseTo(m[v], offset(1e-4f));
                moved = Math.max(moved, Math.abs(a[v] - b[v]));
            }
            assertThat(moved).as("the adapter changes the logits").isGreaterThan(1e-3);
        }
    }

    @Test
    void whatTheForwardPassCannotDoIsRefusedSayingWhat() throws IOException {
        Path odd = Files.createDirectories(dir.resolve("odd"));
        Files.copy(models.resolve("base/model.safetensors"), odd.resolve("model.safetensors"));
        Files.writeString(odd.resolve("config.json"), Files.readString(models.resolve("base/config.json"))
                .replace("\"mistral\"", "\"gpt2\""));
        assertThatThrownBy(() -> Transformer.open(odd, null, 1)).isInstanceOf(FedmergeException.class)
                .hasMessageContaining("model_type 'gpt2' is not supported");
        Files.writeString(odd.resolve("config.json"), Files.readString(models.resolve("base/config.json"))
                .replace("\"rope_theta\"", "\"rope_scaling\": {\"type\": \"yarn\"}, \"rope_theta\""));
        assertThatThrownBy(() -> Transformer.open(odd, null, 1)).hasMessageContaining("rope_scaling");
        try (Transformer t = Transformer.open(models.resolve("base"), null, 1)) {
            assertThatThrownBy(() -> t.forward(new int[] {999}, t.newCache(), false))
                    .hasMessageContaining("token id 999 is outside model.embed_tokens.weight (256 rows)");
        }
    }
}
