package io.fedmerge.hub.model;

import io.fedmerge.core.tensor.DType;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/** A base checkpoint registered with the hub: where it is, its digest, and its tensors (the manifest). */
public record BaseModel(String id, String name, Path path, String digest, List<TensorEntry> tensors,
        Instant registeredAt) {

    /** One tensor of the base: contributions must match name and shape. */
    public record TensorEntry(String name, String dtype, List<Long> shape) {}

    public BaseModel {
        tensors = List.copyOf(tensors);
    }

    /** Bytes of its tensors: about what one consolidated checkpoint of this base takes on disk. */
    public long tensorBytes() {
        long total = 0;
        for (TensorEntry t : tensors) {
            long n = DType.fromSafetensorsName(t.dtype()).byteSize();
            for (long d : t.shape()) {
                n *= d;
            }
            total += n;
        }
        return total;
    }
}
