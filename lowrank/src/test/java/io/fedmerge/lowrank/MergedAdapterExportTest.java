package io.fedmerge.lowrank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.adapter.PeftFixture;
import io.fedmerge.core.cli.CliRun;
import io.fedmerge.core.io.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code fedmerge merge --as-adapter} checked against the ordinary merge of the same inputs: concatenated adapters
 * reproduce linear and task-arithmetic merges, truncated ones reach the Eckart–Young error of the merged ΔW (from a
 * dense SVD in the test), other methods are extracted with the error they report.
 */
class MergedAdapterExportTest {
    static final String Q0 = "model.layers.0.self_attn.q_proj";

    @TempDir
    static Path dir;

    static Path models;

    @BeforeAll
    static void build() throws IOException {
        models = dir.resolve("m");
        CliRun g = CliRun.of("generate", "--out", models.toString(), "--preset", "tiny", "--variants", "1", "--seed",
                "21");
        assertThat(g.exitCode()).as(g.err()).isZero();
        try (Checkpoint base = Checkpoint.open(models.resolve("base"))) {
            // a: rank 4 on q/v with rank_pattern and an adapter name; b: rsLoRA rank 6 on q/o/embeddings + saved head
            PeftFixture a = new PeftFixture(4, 8).adapterName("default");
            a.config().putArray("target_modules").add("q_proj").add("v_proj");
            a.config().putObject("rank_pattern").put("v_proj", 2);
            PeftFixture b = new PeftFixture(6, 12);
            b.config().put("use_rslora", true);
            b.config().putArray("target_modules").add("q_proj").add("o_proj").add("embed_tokens");
            b.config().putArray("modules_to_save").add("lm_head");
            for (int l = 0; l < 2; l++) {
                String p = "model.layers." + l + ".self_attn.";
                a.lora(p + "q_proj", 64, 64, 4, 2, false, false, 100 + l);
                a.lora(p + "v_proj", 32, 64, 2, 4, false, false, 110 + l);
                b.lora(p + "q_proj", 64, 64, 6, 12 / Math.sqrt(6), false, false, 120 + l);
                b.lora(p + "o_proj", 64, 64, 6, 12 / Math.sqrt(6), false, false, 130 + l);
            }
            b.lora("model.embed_tokens", 256, 64, 6, 12 / Math.sqrt(6), true, true, 140);
            float[] head = read(base, "lm_head.weight");
            Random random = new Random(150);
            for (int i = 0; i < head.length; i++) {
                head[i] += (float) (random.nextGaussian() * 0.002);
            }
            b.saved("lm_head.weight", new long[] {256, 64}, head);
            a.write(models.resolve("adapter-a"));
            b.write(models.resolve("adapter-b"));
        }
    }

    static float[] read(Checkpoint c, String name) {
        float[] v = new float[(int) c.info(name).elementCount()];
        c.readFloats(name, 0, v.length, v);
        return v;
    }

    static Path config(String name, String method, String params) throws IOException {
        return Files.writeString(models.resolve(name + ".yml"), "merge_method: " + method
                + "\nbase_model: base\nout_dtype: float32\nmodels:\n"
                + "  - model: adapter-a\n    parameters: {weight: 0.6" + params + "}\n"
                + "  - model: adapter-b\n    parameters: {weight: 0.9" + params + "}\n");
    }

    static JsonNode run(String... args) {
        CliRun r = CliRun.of(args);
        assertThat(r.exitCode()).as(r.err()).isZero();
        return JsonMapper.builder().build().readTree(r.out());
    }

    /** The adapter applied to the base the way any consumer would: base + its dense ΔW, via `task-vector`. */
    static float[] applied(Path adapter, String tensor) {
        Path tv = dir.resolve(adapter.getFileName() + "-" + System.nanoTime() + ".safetensors");
        CliRun r = CliRun.of("task-vector", "--base", models.resolve("base").toString(), "--adapter",
                adapter.toString(), "--out", tv.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        try (Checkpoint t = Checkpoint.open(tv); Checkpoint base = Checkpoint.open(models.resolve("base"))) {
            float[] d = read(t, tensor);
            float[] b = read(base, tensor);
            for (int i = 0; i < d.length; i++) {
                d[i] += b[i];
            }
            return d;
        }
    }

    @Test
    void concatenatedAdaptersReproduceLinearAndTaskArithmetic() throws IOException {
        for (String method : new String[] {"linear", "task_arithmetic"}) {
            Path cfg = config(method, method, "");
            Path merged = dir.resolve(method + "-model");
            Path adapter = dir.resolve(method + "-adapter");
            run("merge", cfg.toString(), merged.toString(), "--json");
            JsonNode r = run("merge", cfg.toString(), adapter.toString(), "--as-adapter", "--json");
            assertThat(r.path("how").asString()).isEqualTo("concatenated");
            assertThat(r.path("rank").asInt()).isEqualTo(10); // q_proj: 4 + 6
            assertThat(r.path("worst_relative_error").asDouble()).isZero();
            try (LoraAdapter out = LoraAdapter.open(adapter); Checkpoint expected = Checkpoint.open(merged)) {
                assertThat(out.config().modulesToSave()).containsExactly("lm_head");
                assertThat(out.modules().get("model.embed_tokens.weight").embedding()).isTrue();
                for (String t : expected.tensorNames()) {
                    float[] want = read(expected, t);
                    float[] got = applied(adapter, t);
                    for (int i = 0; i < want.length; i++) {
                        assertThat(got[i]).as("%s %s[%d]", method, t, i).isCloseTo(want[i], within(2e-6f));
                    }
                }
            }
        }
    }

    @Test
    void truncatedAdaptersReachTheEckartYoungErrorOfTheMergedDelta() throws IOException {
        Path cfg = config("trunc", "task_arithmetic", "");
        Path merged = dir.resolve("trunc-model");
        Path adapter = dir.resolve("trunc-adapter");
        run("merge", cfg.toString(), merged.toString(), "--json");
        JsonNode r = run("merge", cfg.toString(), adapter.toString(), "--as-adapter", "--rank", "3", "--json");
        assertThat(r.path("how").asString()).isEqualTo("truncated");
        assertThat(r.path("rank").asInt()).isEqualTo(3);
        double[] delta = mergedDelta(merged, Q0 + ".weight");
        double optimal = optimalError(delta, 64, 64, 3);
        double reported = reportedError(r, Q0);
        assertThat(reported).isCloseTo(optimal, within(1e-5));
        double actual = relativeError(delta, applied(adapter, Q0 + ".weight"), Q0 + ".weight");
        assertThat(actual).isCloseTo(optimal, within(1e-5));
        assertThat(optimal).isGreaterThan(0.05); // rank 10 cut to 3: a real truncation, not a trivial one
    }

    @Test
    void otherMethodsAreExtractedFromTheDenseMergeWithTheirTrueError() throws IOException {
        Path cfg = config("ties", "ties", ", density: 0.5");
        Path merged = dir.resolve("ties-model");
        Path adapter = dir.resolve("ties-adapter");
        run("merge", cfg.toString(), merged.toString(), "--json");
        CliRun cli = CliRun.of("merge", cfg.toString(), adapter.toString(), "--as-adapter", "--rank", "8", "--json");
        assertThat(cli.exitCode()).as(cli.err()).isZero();
        assertThat(cli.err()).contains("ties is not a linear combination");
        JsonNode r = JsonMapper.builder().build().readTree(cli.out());
        assertThat(r.path("how").asString()).isEqualTo("extracted");
        double reported = reportedError(r, Q0);
        double actual = relativeError(mergedDelta(merged, Q0 + ".weight"), applied(adapter, Q0 + ".weight"),
                Q0 + ".weight");
        assertThat(reported).isCloseTo(actual, within(1e-4));
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".dense-"));
        }
    }

    @Test
    void aRankAboveWhatAModuleCanHoldIsRefusedBeforeAnythingIsWritten() throws IOException {
        Path cfg = config("big", "task_arithmetic", "");
        Path out = dir.resolve("big-adapter");
        CliRun r = CliRun.of("merge", cfg.toString(), out.toString(), "--as-adapter", "--rank", "40");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("--rank 40 exceeds min(out, in) = 32 of " + "model.layers.0.self_attn.v_proj.weight");
        assertThat(out).doesNotExist();
        Path ties = config("big-ties", "ties", ", density: 0.5");
        CliRun dense = CliRun.of("merge", ties.toString(), out.toString(), "--as-adapter", "--rank", "40");
        assertThat(dense.exitCode()).isEqualTo(1);
        assertThat(dense.err()).contains("--rank 40 exceeds min(out, in) = 32").doesNotContain("100%");
        CliRun noAdapter = CliRun.of("merge", cfg.toString(), dir.resolve("x").toString(), "--rank", "4");
        assertThat(noAdapter.exitCode()).isEqualTo(1);
        assertThat(noAdapter.err()).contains("--rank applies to --as-adapter only");
    }

    @Test
    void aDenseMergeWithoutAdaptersNeedsARank() throws IOException {
        Path cfg = Files.writeString(models.resolve("dense.yml"),
                "merge_method: ties\nbase_model: base\nmodels:\n  - model: hospital-1\n    parameters: {weight: 1,"
                        + " density: 0.5}\n");
        CliRun r = CliRun.of("merge", cfg.toString(), dir.resolve("dense-adapter").toString(), "--as-adapter");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("needs --rank R");
    }

    static double reportedError(JsonNode result, String module) {
        for (JsonNode m : result.path("modules")) {
            if (m.path("module").asString().equals(module)) {
                return m.path("relative_error").asDouble();
            }
        }
        throw new AssertionError("no module " + module + " in " + result);
    }

    static double[] mergedDelta(Path merged, String tensor) {
        try (Checkpoint m = Checkpoint.open(merged); Checkpoint b = Checkpoint.open(models.resolve("base"))) {
            float[] x = read(m, tensor);
            float[] y = read(b, tensor);
            double[] d = new double[x.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = (double) x[i] - y[i];
            }
            return d;
        }
    }

    static double relativeError(double[] delta, float[] applied, String tensor) {
        try (Checkpoint b = Checkpoint.open(models.resolve("base"))) {
            float[] base = read(b, tensor);
            double err = 0;
            double norm = 0;
            for (int i = 0; i < delta.length; i++) {
                double e = delta[i] - ((double) applied[i] - base[i]);
                err += e * e;
                norm += delta[i] * delta[i];
            }
            return Math.sqrt(err / norm);
        }
    }

    static double optimalError(double[] delta, int rows, int cols, int rank) {
        return LowRankTest.optimalError(LowRankTest.singularValues(new DMatrixRMaj(rows, cols, true, delta)), rank);
    }
}
