package io.fedmerge.core.adapter;

import io.fedmerge.core.io.TensorInfo;

/**
 * One LoRA-adapted module: ΔW = scale · B·A for {@code weight}, stored [out, in] in the base; or its transpose when
 * the base stores the weight [in, out] ({@code fan_in_fan_out}, GPT-2's Conv1D) or the module is an embedding
 * (PEFT's {@code lora_embedding_A} [r, vocab], {@code lora_embedding_B} [dim, r]).
 *
 * @param module the base module's name, e.g. {@code model.layers.0.self_attn.q_proj}
 * @param a lora_A, [rank, in] ({@code lora_embedding_A}: [rank, vocab])
 * @param b lora_B, [out, rank] ({@code lora_embedding_B}: [dim, rank])
 */
public record LoraModule(String module, TensorInfo a, TensorInfo b, double scale, boolean transposed,
        boolean embedding) {

    /** The base tensor ΔW applies to. */
    public String weight() {
        return module + ".weight";
    }

    public int rank() {
        return (int) a.dim(0);
    }

    /** The shape of ΔW as the base stores the weight. */
    public long[] deltaShape() {
        return transposed ? new long[] {a.dim(1), b.dim(0)} : new long[] {b.dim(0), a.dim(1)};
    }
}
