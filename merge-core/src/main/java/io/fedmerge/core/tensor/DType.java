package io.fedmerge.core.tensor;

import io.fedmerge.core.FedmergeException;
import java.util.Locale;

/** Element types fedmerge reads and writes, named as safetensors names them. */
public enum DType {
    F32(4),
    F16(2),
    BF16(2);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    /** The name torch and Hugging Face's config.json give it ({@code torch_dtype}). */
    public String torchName() {
        return switch (this) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
        };
    }

    /** Parses a safetensors dtype name ("BF16"); other safetensors dtypes exist but cannot be merged. */
    public static DType fromSafetensorsName(String name) {
        for (DType d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        throw new FedmergeException("unsupported dtype '" + name + "': expected one of F32, F16, BF16");
    }

    /** Parses the dtype spellings users write in configs and flags: f32, float32, bfloat16, bf16, float16, f16. */
    public static DType fromUserName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "f32", "float32", "float" -> F32;
            case "f16", "float16", "half" -> F16;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new FedmergeException(
                    "unknown dtype '" + name + "': expected float32, float16 or bfloat16");
        };
    }
}
