package io.fedmerge.core.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading PEFT adapter directories: every spelling PEFT writes is understood, every unsupported one refused. */
class LoraAdapterTest {
    @TempDir
    Path dir;

    static final String Q = "model.layers.0.self_attn.q_proj";
    static final String V = "model.layers.1.self_attn.v_proj";

    static PeftFixture plain() {
        PeftFixture f = new PeftFixture(4, 8);
        f.config().putArray("target_modules").add("q_proj").add("v_proj");
        return f.lora(Q, 16, 8, 4, 2, false, false, 1).lora(V, 6, 8, 4, 2, false, false, 2);
    }

    @Test
    void readsModulesRanksAndScalesFromConfigAndKeys() {
        PeftFixture f = plain().adapterName("default");
        f.config().put("use_rslora", true);
        f.config().putObject("rank_pattern").put("v_proj", 2);
        f.config().putObject("alpha_pattern").put("layers\\.1\\..*", 18);
        f.lora(V, 6, 8, 2, 0, false, false, 3);
        try (LoraAdapter a = LoraAdapter.open(f.write(dir.resolve("a")))) {
            assertThat(a.modules()).containsOnlyKeys(Q + ".weight", V + ".weight");
            LoraModule q = a.modules().get(Q + ".weight");
            assertThat(q.rank()).isEqualTo(4);
            assertThat(q.scale()).isEqualTo(8 / Math.sqrt(4));
            assertThat(q.deltaShape()).containsExactly(16, 8);
            LoraModule v = a.modules().get(V + ".weight");
            assertThat(v.rank()).isEqualTo(2);
            assertThat(v.scale()).isEqualTo(18 / Math.sqrt(2));
        }
    }

    @Test
    void embeddingFactorsAndFanInFanOutAreTransposed() {
        PeftFixture f = new PeftFixture(2, 2);
        f.config().put("fan_in_fan_out", true);
        f.lora("model.embed_tokens", 10, 4, 2, 1, true, true, 4).lora(Q, 8, 6, 2, 1, true, false, 5);
        try (LoraAdapter a = LoraAdapter.open(f.write(dir.resolve("e")))) {
            LoraModule e = a.modules().get("model.embed_tokens.weight");
            assertThat(e.embedding()).isTrue();
            assertThat(e.deltaShape()).containsExactly(10, 4);
            assertThat(a.modules().get(Q + ".weight").deltaShape()).containsExactly(8, 6);
        }
    }

    @Test
    void pickleIsNeverReadAndTheMessageSaysHowToConvert() throws IOException {
        Path d = Files.createDirectories(dir.resolve("pickle"));
        Files.writeString(d.resolve(AdapterConfig.FILE), "{\"peft_type\": \"LORA\", \"r\": 4}");
        Files.write(d.resolve(LoraAdapter.PICKLE_FILE), new byte[] {(byte) 0x80, 2, 'c', 'o', 's'});
        assertThatThrownBy(() -> LoraAdapter.open(d)).isInstanceOf(InvalidAdapterException.class)
                .hasMessageContaining("adapter_model.bin is a Python pickle")
                .hasMessageContaining("arbitrary code").hasMessageContaining("safe_serialization=True");
    }

    @Test
    void configThatIsNotJsonIsNamed() throws IOException {
        Path d = plain().write(dir.resolve("nojson"));
        Files.writeString(d.resolve(AdapterConfig.FILE), "r: 4\nlora_alpha: 8\n");
        assertThatThrownBy(() -> LoraAdapter.open(d)).isInstanceOf(InvalidAdapterException.class)
                .hasMessageContaining(AdapterConfig.FILE).hasMessageContaining("is not valid JSON");
    }

    @Test
    void unsupportedPeftFeaturesAreRefusedWithWhatToDo() {
        PeftFixture dora = plain();
        dora.config().put("use_dora", true);
        assertRefused(dora, "dora-config", "DoRA", "merge_and_unload");
        assertRefused(plain().rawTensor("base_model.model." + Q + ".lora_magnitude_vector", new long[] {16},
                new float[16]), "dora-key", "DoRA magnitude vector");
        PeftFixture bias = plain();
        bias.config().put("bias", "all");
        assertRefused(bias, "bias", "bias is 'all'", "bias='none'");
        assertRefused(plain().rawTensor("base_model.model." + Q + ".lora_B.bias", new long[] {16}, new float[16]),
                "lora-bias", "LoRA bias");
        PeftFixture ia3 = plain();
        ia3.config().put("peft_type", "IA3");
        assertRefused(ia3, "ia3", "peft_type is IA3", "LoRA adapters only");
    }

    @Test
    void inconsistentFilesAreRefusedNamingTheModule() {
        PeftFixture wrongR = new PeftFixture(8, 8).lora(Q, 16, 8, 4, 1, false, false, 1);
        assertRefused(wrongR, "r", "module '" + Q + "' has rank 4 but adapter_config.json says r = 8");
        assertRefused(new PeftFixture(4, 4).rawTensor("base_model.model." + Q + ".lora_A.weight", new long[] {4, 8},
                new float[32]), "lone-a", "has lora_A but no lora_B");
        assertRefused(new PeftFixture(4, 4)
                .rawTensor("base_model.model." + Q + ".lora_A.weight", new long[] {4, 8}, new float[32])
                .rawTensor("base_model.model." + Q + ".lora_B.weight", new long[] {16, 3}, new float[48]),
                "ab-rank", "lora_A [4, 8] has rank 4 but lora_B [16, 3] has rank 3");
        PeftFixture untargeted = plain();
        untargeted.config().putArray("target_modules").add("q_proj");
        assertRefused(untargeted, "targets", "module '" + V + "' is not among target_modules [q_proj]");
        PeftFixture layers = plain();
        layers.config().putArray("layers_to_transform").add(0);
        assertRefused(layers, "layers", "module '" + V + "' lies outside layers_to_transform [0]");
        assertRefused(plain().rawTensor("base_model.model.lm_head.weight", new long[] {2, 2}, new float[4]),
                "stray", "'base_model.model.lm_head.weight' is neither a LoRA factor");
        assertRefused(plain().rawTensor("base_model.model." + Q + ".lora_A.other.weight", new long[] {4, 8},
                new float[32]).rawTensor("base_model.model." + Q + ".lora_B.other.weight", new long[] {16, 4},
                new float[64]).adapterName("default"), "two-names", "holds two adapters");
        PeftFixture regex = plain();
        regex.config().put("target_modules", "(q_proj");
        assertRefused(regex, "regex", "target_modules '(q_proj' is not a valid regular expression");
        PeftFixture negative = plain();
        negative.config().put("r", -4);
        assertRefused(negative, "negative", "r must be a positive integer");
    }

    @Test
    void aCatastrophicallyBacktrackingPatternIsRefusedInsteadOfStallingTheReader() {
        // ((a*)*)*b against 40 a's backtracks for hours in java.util.regex (28 a's: 18 s on JDK 25); a hub parses
        // such configs, and module names, from the network
        String module = "a".repeat(40);
        PeftFixture f = new PeftFixture(4, 8).lora(module, 8, 8, 4, 2, false, false, 1);
        f.config().putObject("rank_pattern").put("((a*)*)*b", 2);
        Path d = f.write(dir.resolve("redos"));
        // a hang guard, not a speed check: bounded matching refuses in milliseconds
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThatThrownBy(() -> LoraAdapter.open(d))
                .isInstanceOf(InvalidAdapterException.class)
                .hasMessageContaining("((a*)*)*b)' takes too long to match module '" + module + "'"));
        PeftFixture target = new PeftFixture(4, 8).lora(module, 8, 8, 4, 2, false, false, 1);
        target.config().put("target_modules", "(.*a){20}b");
        Path t = target.write(dir.resolve("redos-target"));
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThatThrownBy(() -> LoraAdapter.open(t))
                .hasMessageContaining("target_modules '(.*a){20}b' takes too long"));
    }

    @Test
    void aDirectoryWithoutTheFilesSaysWhatAnAdapterDirectoryHolds() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> LoraAdapter.open(empty)).hasMessageContaining("no adapter_config.json")
                .hasMessageContaining("save_pretrained");
        Files.writeString(empty.resolve(AdapterConfig.FILE), "{}");
        assertThatThrownBy(() -> LoraAdapter.open(empty)).hasMessageContaining("no adapter_model.safetensors");
    }

    private void assertRefused(PeftFixture f, String name, String... fragments) {
        Path d = f.write(dir.resolve(name));
        var thrown = assertThatThrownBy(() -> LoraAdapter.open(d).close()).isInstanceOf(InvalidAdapterException.class);
        for (String s : fragments) {
            thrown.hasMessageContaining(s);
        }
    }
}
