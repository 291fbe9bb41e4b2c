package io.fedmerge.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * mergekit's own test helper ({@code two_model_config} of tests/test_basic_merges.py) gives every model
 * {@code weight: 0.6} / {@code 0.4} whatever the method; methods that take no weight ignore it. fedmerge accepts such a
 * config with a warning, and the merge is exactly the one without the ignored parameter.
 */
class ParametersOfOtherMethodsTest {
    @TempDir
    static Path dir;

    static Path models;

    @BeforeAll
    static void generate() {
        models = GeneratedModels.tiny(dir, 2, 12);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "model_stock | 2 | {}",
        "karcher     | 2 | {}",
        "sce         | 2 | {select_topk: 0.5}",
        "nearswap    | 1 | {t: 0.001}",
        "slerp       | 1 | {t: 0.35}"})
    void weightOnAMethodWithoutWeightsIsIgnoredWithAWarning(String method, int count, String global) throws Exception {
        CliRun weighted = merge(method + "-weighted", config(method, count, global, true));
        CliRun plain = merge(method + "-plain", config(method, count, global, false));

        assertThat(weighted.exitCode()).as(weighted.err()).isZero();
        assertThat(plain.exitCode()).as(plain.err()).isZero();
        assertThat(weighted.err()).contains("warning: parameter 'weight' in parameters of model hospital-1 is not"
                + " used by merge_method " + method + "; ignored");
        assertThat(plain.err()).doesNotContain("is not used by merge_method");
        assertThat(Files.readAllBytes(dir.resolve(method + "-weighted/model.safetensors")))
                .isEqualTo(Files.readAllBytes(dir.resolve(method + "-plain/model.safetensors")));
    }

    @Test
    void anotherMethodsTopLevelParameterIsIgnoredButATypoIsNot() throws Exception {
        String ties = "merge_method: ties\nbase_model: base\nmodels:\n"
                + "  - model: hospital-1\n    parameters: {weight: 0.6, density: 0.3}\n"
                + "  - model: hospital-2\n    parameters: {weight: 0.4, density: 0.3}\n";
        CliRun withGamma = merge("ties-gamma", ties + "parameters: {gamma: 0.01}\n");
        CliRun without = merge("ties", ties);
        assertThat(withGamma.exitCode()).as(withGamma.err()).isZero();
        assertThat(withGamma.err()).contains("parameter 'gamma' in parameters is not used by merge_method ties");
        assertThat(Files.readAllBytes(dir.resolve("ties-gamma/model.safetensors")))
                .isEqualTo(Files.readAllBytes(dir.resolve("ties/model.safetensors")));

        CliRun typo = merge("ties-typo", ties + "parameters: {gama: 0.01}\n");
        assertThat(typo.exitCode()).isEqualTo(1);
        assertThat(typo.err()).contains("unknown parameter 'gama' in parameters for merge_method ties");
        assertThat(dir.resolve("ties-typo")).doesNotExist();
    }

    private static String config(String method, int count, String global, boolean weights) {
        StringBuilder yaml = new StringBuilder("merge_method: " + method + "\nbase_model: base\nmodels:\n");
        double[] weight = {0.6, 0.4};
        for (int h = 1; h <= count; h++) {
            yaml.append("  - model: hospital-").append(h).append('\n');
            if (weights) {
                yaml.append("    parameters: {weight: ").append(weight[h - 1]).append("}\n");
            }
        }
        return yaml.append("parameters: ").append(global).append("\ndtype: bfloat16\n").toString();
    }

    private static CliRun merge(String name, String yaml) throws Exception {
        Path cfg = Files.writeString(models.resolve(name + ".yml"), yaml);
        return CliRun.of("merge", cfg.toString(), dir.resolve(name).toString());
    }
}
