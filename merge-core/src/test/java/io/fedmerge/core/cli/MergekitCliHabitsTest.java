package io.fedmerge.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mergekit-yaml's options, as its users type them, on `fedmerge merge`. */
class MergekitCliHabitsTest {
    @TempDir
    static Path dir;

    static Path models;
    static Path config;

    @BeforeAll
    static void generate() throws Exception {
        models = GeneratedModels.tiny(dir, 2, 4);
        Files.writeString(models.resolve("base/README.md"), "# the base's own card\n");
        Files.writeString(models.resolve("base/pytorch_model.bin"), "not weights of the merge");
        config = Files.writeString(models.resolve("ties.yml"), """
                merge_method: dare_ties
                base_model: base
                models:
                  - model: hospital-1
                    parameters: {weight: 0.6, density: 0.5}
                  - model: hospital-2
                    parameters: {weight: 0.4, density: 0.5}
                dtype: bfloat16
                """);
    }

    @Test
    void outShardSizeIsMergekitsCountWithKMAndB() throws Exception {
        CliRun r = CliRun.of("merge", config.toString(), dir.resolve("sharded").toString(), "--out-shard-size", "20K",
                "--random-seed", "5");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(dir.resolve("sharded/model.safetensors.index.json")).exists();
        try (var files = Files.list(dir.resolve("sharded"))) {
            assertThat(files.filter(p -> p.toString().endsWith(".safetensors")).count()).isGreaterThan(1);
        }
        assertThat(new KmbCount().convert("5B")).isEqualTo(5_000_000_000L);
        assertThat(new KmbCount().convert("700m")).isEqualTo(700_000_000L);
        CliRun bad = CliRun.of("merge", config.toString(), dir.resolve("bad").toString(), "--out-shard-size", "5GB");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.err()).contains("K, M or B");
        CliRun both = CliRun.of("merge", config.toString(), dir.resolve("both").toString(), "--out-shard-size", "5B",
                "--shard-size", "5GB");
        assertThat(both.err()).contains("give one");
    }

    @Test
    void theModelCardDescribesTheMergeAndReplacesTheBasesOwnAndNoOtherWeightsAreCopied() throws Exception {
        CliRun r = CliRun.of("merge", config.toString(), dir.resolve("carded").toString(), "--random-seed", "5");
        assertThat(r.exitCode()).as(r.err()).isZero();
        String card = Files.readString(dir.resolve("carded/README.md"));
        assertThat(card).startsWith("---\nbase_model:\n- \"base\"\n- \"hospital-1\"\n- \"hospital-2\"\n")
                .contains("- mergekit\n- merge\n", "**dare_ties**", "`base` as the base", "* `hospital-1`",
                        "```yaml\nmerge_method: dare_ties\n");
        assertThat(dir.resolve("carded/pytorch_model.bin")).doesNotExist();
        assertThat(dir.resolve("carded/tokenizer_config.json")).exists();

        CliRun bare = CliRun.of("merge", config.toString(), dir.resolve("bare").toString(), "--no-write-model-card",
                "--no-copy-tokenizer", "--random-seed", "5", "--lazy-unpickle", "--allow-crimes");
        assertThat(bare.exitCode()).as(bare.err()).isZero();
        assertThat(bare.err()).contains("note: --lazy-unpickle, --allow-crimes and --low-cpu-memory change nothing");
        assertThat(dir.resolve("bare/README.md")).doesNotExist(); // neither the card nor the base's
        assertThat(dir.resolve("bare/tokenizer_config.json")).doesNotExist();
        assertThat(dir.resolve("bare/config.json")).exists();
        assertThat(Files.readAllBytes(dir.resolve("bare/model.safetensors")))
                .isEqualTo(Files.readAllBytes(dir.resolve("carded/model.safetensors")));
    }

    @Test
    void randomSeedSeedsTheRandomMethodsUnlessTheConfigSetsAnotherOne() throws Exception {
        assertThat(CliRun.of("merge", config.toString(), dir.resolve("s7a").toString(), "--random-seed", "7")
                .exitCode()).isZero();
        assertThat(CliRun.of("merge", config.toString(), dir.resolve("s7b").toString(), "--random-seed", "7")
                .exitCode()).isZero();
        assertThat(CliRun.of("merge", config.toString(), dir.resolve("s8").toString(), "--random-seed", "8")
                .exitCode()).isZero();
        assertThat(Files.readString(dir.resolve("s7a/mergekit_config.yml"))).endsWith("--random-seed 7\n");
        byte[] a = weights("s7a");
        assertThat(weights("s7b")).isEqualTo(a);
        assertThat(weights("s8")).isNotEqualTo(a);

        Path seeded = Files.writeString(models.resolve("seeded.yml"), Files.readString(config)
                + "parameters: {random_seed: 7}\n");
        assertThat(CliRun.of("merge", seeded.toString(), dir.resolve("s7c").toString(), "--random-seed", "7")
                .exitCode()).isZero();
        assertThat(weights("s7c")).isEqualTo(a);
        CliRun clash = CliRun.of("merge", seeded.toString(), dir.resolve("clash").toString(), "--random-seed", "8");
        assertThat(clash.exitCode()).isEqualTo(1);
        assertThat(clash.err()).contains("--random-seed 8 contradicts the config's random_seed");
    }

    /** As mergekit does, the output's config.json names the dtype its tensors were written in. */
    @Test
    void theOutputConfigNamesTheDtypeTheTensorsWereWrittenIn() throws Exception {
        Path halves = Files.writeString(models.resolve("halves.yml"), Files.readString(config)
                + "out_dtype: float16\n");
        CliRun r = CliRun.of("merge", halves.toString(), dir.resolve("halves").toString(), "--random-seed", "5");
        assertThat(r.exitCode()).as(r.err()).isZero();
        try (Checkpoint c = Checkpoint.open(dir.resolve("halves"))) {
            assertThat(c.tensorNames()).allSatisfy(n -> assertThat(c.info(n).dtype()).isEqualTo(DType.F16));
        }
        assertThat(Files.readString(models.resolve("base/config.json"))).contains("\"torch_dtype\": \"bfloat16\"");
        assertThat(Files.readString(dir.resolve("halves/config.json"))).contains("\"torch_dtype\" : \"float16\"",
                "\"MistralForCausalLM\"");
    }

    private static byte[] weights(String out) throws Exception {
        try (Checkpoint c = Checkpoint.open(dir.resolve(out))) {
            assertThat(c.tensorNames()).isNotEmpty();
        }
        return Files.readAllBytes(dir.resolve(out).resolve("model.safetensors"));
    }
}
