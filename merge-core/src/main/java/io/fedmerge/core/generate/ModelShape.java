package io.fedmerge.core.generate;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.TensorSpec;
import io.fedmerge.core.tensor.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The dimensions of a Mistral-architecture model, and the tensors (Hugging Face names) it has. */
public record ModelShape(int hidden, int layers, int heads, int kvHeads, int intermediate, int vocab) {

    public static ModelShape preset(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "tiny" -> new ModelShape(64, 2, 4, 2, 128, 256);
            case "small" -> new ModelShape(512, 8, 8, 4, 1536, 8000);
            case "mistral-7b" -> new ModelShape(4096, 32, 32, 8, 14336, 32000);
            default -> throw new FedmergeException("unknown preset '" + name + "': expected tiny, small or mistral-7b");
        };
    }

    public ModelShape withLayers(int n) {
        if (n < 1) {
            throw new FedmergeException("layers must be at least 1, found " + n);
        }
        return new ModelShape(hidden, n, heads, kvHeads, intermediate, vocab);
    }

    public ModelShape withVocab(int n) {
        if (n < 1) {
            throw new FedmergeException("vocabulary size must be at least 1, found " + n);
        }
        return new ModelShape(hidden, layers, heads, kvHeads, intermediate, n);
    }

    /** The fewest layers of these dimensions whose checkpoint reaches {@code gigabytes} in {@code dtype}. */
    public ModelShape withSize(double gigabytes, DType dtype) {
        long target = (long) (gigabytes * 1e9);
        long outside = (2L * vocab * hidden + hidden) * dtype.byteSize();
        long perLayer = layerElements() * dtype.byteSize();
        long n = Math.max(1, (target - outside + perLayer - 1) / perLayer);
        return withLayers((int) n);
    }

    public int headDim() {
        return hidden / heads;
    }

    private long layerElements() {
        long q = (long) hidden * hidden;
        long kv = 2L * kvHeads * headDim() * hidden;
        long mlp = 3L * intermediate * hidden;
        return q + kv + q + mlp + 2L * hidden;
    }

    public List<TensorSpec> tensors(DType dtype, int extraVocab) {
        List<TensorSpec> out = new ArrayList<>();
        long kvRows = (long) kvHeads * headDim();
        out.add(new TensorSpec("model.embed_tokens.weight", dtype, new long[] {vocab + extraVocab, hidden}));
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            out.add(new TensorSpec(p + "self_attn.q_proj.weight", dtype, new long[] {hidden, hidden}));
            out.add(new TensorSpec(p + "self_attn.k_proj.weight", dtype, new long[] {kvRows, hidden}));
            out.add(new TensorSpec(p + "self_attn.v_proj.weight", dtype, new long[] {kvRows, hidden}));
            out.add(new TensorSpec(p + "self_attn.o_proj.weight", dtype, new long[] {hidden, hidden}));
            out.add(new TensorSpec(p + "mlp.gate_proj.weight", dtype, new long[] {intermediate, hidden}));
            out.add(new TensorSpec(p + "mlp.up_proj.weight", dtype, new long[] {intermediate, hidden}));
            out.add(new TensorSpec(p + "mlp.down_proj.weight", dtype, new long[] {hidden, intermediate}));
            out.add(new TensorSpec(p + "input_layernorm.weight", dtype, new long[] {hidden}));
            out.add(new TensorSpec(p + "post_attention_layernorm.weight", dtype, new long[] {hidden}));
        }
        out.add(new TensorSpec("model.norm.weight", dtype, new long[] {hidden}));
        out.add(new TensorSpec("lm_head.weight", dtype, new long[] {vocab + extraVocab, hidden}));
        return out;
    }

    /** A Hugging Face config.json for this shape. */
    public String configJson(DType dtype) {
        return """
                {
                  "architectures": ["MistralForCausalLM"],
                  "model_type": "mistral",
                  "hidden_size": %d,
                  "intermediate_size": %d,
                  "num_hidden_layers": %d,
                  "num_attention_heads": %d,
                  "num_key_value_heads": %d,
                  "head_dim": %d,
                  "vocab_size": %d,
                  "hidden_act": "silu",
                  "max_position_embeddings": 32768,
                  "rms_norm_eps": 1e-05,
                  "rope_theta": 10000.0,
                  "sliding_window": 4096,
                  "tie_word_embeddings": false,
                  "initializer_range": 0.02,
                  "bos_token_id": 1,
                  "eos_token_id": 2,
                  "torch_dtype": "%s"
                }
                """.formatted(hidden, intermediate, layers, heads, kvHeads, headDim(), vocab, dtype.torchName());
    }
}
