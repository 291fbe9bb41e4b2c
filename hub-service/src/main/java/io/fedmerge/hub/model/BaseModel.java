package io.fedmerge.hub.model;

import io.fedmerge.core.tensor.DType;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * A base checkpoint registered with the hub: where it is, its digest, and its tensors (the manifest).
 *
 * @param path the checkpoint under the models root; for an uploaded base, its blob key prefix
 * @param storedFiles the files of an uploaded base (in the blob store under {@code path}); empty for a base
 *     registered from the models root
 */
public record BaseModel(String id, String name, Path path, String digest, List<TensorEntry> tensors,
        Instant registeredAt, List<String> storedFiles) {

    /** A base registered from the models root. */
    public BaseModel(String id, String name, Path path, String digest, List<TensorEntry> tensors,
            Instant registeredAt) {
        this(id, name, path, digest, tensors, registeredAt, List.of());
    }

    /** One tensor of the base: contributions must match name and shape. */
    public record TensorEntry(String name, String dtype, List<Long> shape) {}

    public BaseModel {
        tensors = List.copyOf(tensors);
        storedFiles = List.copyOf(storedFiles);
    }

    /** Whether the hub keeps this base in its blob store (uploaded) rather than reading it from the models root. */
    public boolean stored() {
        return !storedFiles.isEmpty();
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
