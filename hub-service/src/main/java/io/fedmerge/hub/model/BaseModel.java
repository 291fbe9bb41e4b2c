package io.fedmerge.hub.model;

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
}
