package io.fedmerge.hub.transfer;

import io.fedmerge.hub.HubException;
import io.fedmerge.hub.model.BaseModel;
import io.fedmerge.proto.v1.TaskVectorManifest;
import io.fedmerge.proto.v1.TensorSpec;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validates a task-vector manifest against the round's base before any bulk byte is accepted: a wrong upload fails
 * in milliseconds instead of after 14 GB.
 */
final class ManifestCheck {
    private ManifestCheck() {}

    static void check(TaskVectorManifest m, BaseModel base, long maxBytes) {
        if (!m.getBaseDigest().equals(base.digest())) {
            throw HubException.precondition("wrong_base", "task vector was made against base digest "
                    + (m.getBaseDigest().isEmpty() ? "(none)" : m.getBaseDigest()) + " but this round merges '"
                    + base.name() + "' with digest " + base.digest() + "; rebuild it against that base");
        }
        if (!m.getSha256().matches("[0-9a-f]{64}")) {
            throw HubException.invalid("bad_manifest", "manifest sha256 must be 64 lowercase hex digits");
        }
        if (m.getTotalBytes() <= 0) {
            throw HubException.invalid("bad_manifest", "manifest total_bytes must be positive");
        }
        if (m.getTotalBytes() > maxBytes) {
            throw new HubException(HubException.Kind.RESOURCE_EXHAUSTED, "too_large", "declared size "
                    + m.getTotalBytes() + " bytes exceeds this hub's limit of " + maxBytes
                    + " (fedmerge.hub.max-upload-bytes)");
        }
        Map<String, BaseModel.TensorEntry> expected = new HashMap<>();
        for (BaseModel.TensorEntry t : base.tensors()) {
            expected.put(t.name(), t);
        }
        Set<String> seen = new HashSet<>();
        long dataBytes = 0;
        for (TensorSpec t : m.getTensorsList()) {
            BaseModel.TensorEntry b = expected.get(t.getName());
            if (b == null) {
                throw HubException.invalid("extra_tensor", "tensor '" + t.getName() + "' is not in base '"
                        + base.name() + "'");
            }
            if (!seen.add(t.getName())) {
                throw HubException.invalid("bad_manifest", "tensor '" + t.getName() + "' is listed twice");
            }
            if (!t.getShapeList().equals(b.shape())) {
                throw HubException.invalid("wrong_shape", "tensor '" + t.getName() + "' has shape "
                        + t.getShapeList() + " but the base has " + b.shape());
            }
            int size = switch (t.getDtype()) {
                case "F32" -> 4;
                case "BF16" -> 2;
                default -> throw HubException.invalid("wrong_dtype", "tensor '" + t.getName() + "' has dtype "
                        + t.getDtype() + "; task vectors are F32 or BF16");
            };
            long elements = 1;
            for (long d : t.getShapeList()) {
                elements *= d;
            }
            if (t.getByteLength() != elements * size) {
                throw HubException.invalid("bad_manifest", "tensor '" + t.getName() + "' declares "
                        + t.getByteLength() + " bytes but " + t.getShapeList() + " x " + t.getDtype() + " needs "
                        + elements * size);
            }
            dataBytes += t.getByteLength();
        }
        List<String> missing = base.tensors().stream().map(BaseModel.TensorEntry::name)
                .filter(n -> !seen.contains(n)).limit(3).toList();
        if (!missing.isEmpty()) {
            throw HubException.invalid("missing_tensor", "task vector lacks tensor(s) " + missing
                    + " of base '" + base.name() + "'");
        }
        if (m.getTotalBytes() < dataBytes + 8) {
            throw HubException.invalid("bad_manifest", "total_bytes " + m.getTotalBytes()
                    + " is smaller than the tensors it declares (" + dataBytes + " bytes)");
        }
    }
}
