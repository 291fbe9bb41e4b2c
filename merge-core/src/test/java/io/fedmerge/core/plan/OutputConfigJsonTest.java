package io.fedmerge.core.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.core.config.ConfigException;
import io.fedmerge.core.tensor.DType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The output's config.json names the dtype its tensors are written in, and is the base's own file otherwise. */
class OutputConfigJsonTest {
    private static final Path SOURCE = Path.of("/models/base/config.json");
    private static final String TRANSFORMERS_4 = """
            {"architectures": ["MistralForCausalLM"], "hidden_size": 64, "torch_dtype": "float32",
             "rope_scaling": {"type": "linear", "factor": 2.0}}
            """;

    @Test
    void aDeclaredDtypeReplacesTheOneTheBaseNamedAndNothingElseChanges() {
        JsonNode out = parse(OutputConfigJson.withDtype(TRANSFORMERS_4, SOURCE, DType.BF16));
        assertThat(out.get("torch_dtype").asString()).isEqualTo("bfloat16");
        assertThat(out.has("dtype")).isFalse();
        JsonNode in = parse(TRANSFORMERS_4);
        ((tools.jackson.databind.node.ObjectNode) in).put("torch_dtype", "bfloat16");
        assertThat(out).isEqualTo(in);
    }

    @Test
    void aTransformers5ConfigKeepsItsOwnKey() {
        String json = "{\"model_type\": \"mistral\", \"dtype\": \"bfloat16\"}";
        JsonNode out = parse(OutputConfigJson.withDtype(json, SOURCE, DType.F16));
        assertThat(out.get("dtype").asString()).isEqualTo("float16");
        assertThat(out.has("torch_dtype")).isFalse();
        String both = "{\"dtype\": \"bfloat16\", \"torch_dtype\": \"bfloat16\"}";
        JsonNode updated = parse(OutputConfigJson.withDtype(both, SOURCE, DType.F32));
        assertThat(updated.get("dtype").asString()).isEqualTo("float32");
        assertThat(updated.get("torch_dtype").asString()).isEqualTo("float32");
    }

    @Test
    void aConfigThatNamesNoDtypeGetsTheOneEveryTransformersReads() {
        JsonNode out = parse(OutputConfigJson.withDtype("{\"model_type\": \"mistral\"}", SOURCE, DType.BF16));
        assertThat(out.get("torch_dtype").asString()).isEqualTo("bfloat16");
    }

    @Test
    void withoutADeclaredDtypeOrWithTheSameOneTheFileIsCopiedByteForByte() {
        assertThat(OutputConfigJson.withDtype(TRANSFORMERS_4, SOURCE, null)).isSameAs(TRANSFORMERS_4);
        assertThat(OutputConfigJson.withDtype(TRANSFORMERS_4, SOURCE, DType.F32)).isSameAs(TRANSFORMERS_4);
        assertThat(OutputConfigJson.withDtype(null, SOURCE, DType.F32)).isNull();
    }

    @Test
    void theLayerCountOfALayerRangeMerge() {
        JsonNode out = parse(OutputConfigJson.withLayers("{\"num_hidden_layers\": 2}", SOURCE, 44));
        assertThat(out.get("num_hidden_layers").asInt()).isEqualTo(44);
    }

    @Test
    void aConfigThatIsNoJsonObjectIsRefusedNamingTheFile() {
        assertThatThrownBy(() -> OutputConfigJson.withDtype("[1, 2]", SOURCE, DType.BF16))
                .isInstanceOf(ConfigException.class).hasMessageContaining(SOURCE + " is not a JSON object");
        assertThatThrownBy(() -> OutputConfigJson.withDtype("{\"torch_dtype\": ", SOURCE, DType.BF16))
                .isInstanceOf(ConfigException.class).hasMessageContaining(SOURCE.toString());
    }

    private static JsonNode parse(String json) {
        return JsonMapper.builder().build().readTree(json);
    }
}
