package io.fedmerge.hub.transfer;

import io.fedmerge.core.adapter.AdapterConfig;
import io.fedmerge.core.adapter.AdapterLayout;
import io.fedmerge.core.adapter.InvalidAdapterException;
import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.hub.HubException;
import io.fedmerge.hub.model.BaseModel;
import io.fedmerge.proto.v1.TaskVectorManifest;
import io.fedmerge.proto.v1.TensorSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validates a contribution's manifest (a task vector, or a LoRA adapter) against the round's base before any bulk
 * byte is accepted: a wrong upload fails in milliseconds instead of after 14 GB.
 */
final class ManifestCheck {
    static final String KIND_TASK_VECTOR = "task_vector";
    static final String KIND_LORA_ADAPTER = "lora_adapter";
    static final String KIND_XOR_DELTA = "xor_delta";
    static final String KIND_SPARSE_DELTA = "sparse_delta";
    private static final int MAX_CONFIG_CHARS = 1 << 16;

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
        String kind = m.getKind().isEmpty() ? KIND_TASK_VECTOR : m.getKind();
        switch (kind) {
            case KIND_TASK_VECTOR -> checkTaskVector(m, base, true);
            case KIND_XOR_DELTA -> checkTaskVector(m, base, false);
            case KIND_SPARSE_DELTA -> {
                checkSparsification(m);
                checkTaskVector(m, base, false);
            }
            case KIND_LORA_ADAPTER -> checkAdapter(m, base);
            default -> throw HubException.invalid("bad_manifest", "manifest kind '" + kind + "' is unknown; expected "
                    + KIND_TASK_VECTOR + ", " + KIND_XOR_DELTA + ", " + KIND_SPARSE_DELTA + " or " + KIND_LORA_ADAPTER);
        }
    }

    /** A sparsified contribution says how it was thinned, so merges and audits know what they got. */
    private static void checkSparsification(TaskVectorManifest m) {
        String method = m.getProvenance().getMethod();
        double density = m.getProvenance().getDensity();
        if (!method.equals("magnitude") && !method.equals("random")) {
            throw HubException.invalid("bad_manifest", "a sparse_delta manifest's provenance method is '" + method
                    + "'; expected magnitude or random");
        }
        if (!(density > 0 && density <= 1)) {
            throw HubException.invalid("bad_manifest", "a sparse_delta manifest's density " + density
                    + " is outside (0, 1]");
        }
    }

    static boolean isAdapter(TaskVectorManifest m) {
        return KIND_LORA_ADAPTER.equals(m.getKind());
    }

    /**
     * Dense deltas: exactly the base's tensors with the base's shapes, F32 or BF16. An encoded upload (XOR-coded,
     * sparse) declares the task vector it decodes to; its own size is smaller, so only a plain task vector's size is
     * checked against them.
     */
    private static void checkTaskVector(TaskVectorManifest m, BaseModel base, boolean sizeIsTheTensors) {
        if (!m.getAdapterConfigJson().isEmpty()) {
            throw HubException.invalid("bad_manifest", "a task_vector manifest carries no adapter_config_json");
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
        if (sizeIsTheTensors) {
            checkTotal(m, dataBytes);
        }
    }

    /**
     * A PEFT adapter: its config parses, its tensors are LoRA factor pairs and saved modules the config explains,
     * and every module fits the base (the same checks a local merge makes, from names and shapes alone).
     */
    private static void checkAdapter(TaskVectorManifest m, BaseModel base) {
        String json = m.getAdapterConfigJson();
        if (json.isBlank() || json.length() > MAX_CONFIG_CHARS) {
            throw HubException.invalid("bad_manifest", "a lora_adapter manifest must carry its adapter_config.json"
                    + " (at most " + MAX_CONFIG_CHARS + " characters)");
        }
        Set<String> seen = new HashSet<>();
        List<TensorInfo> tensors = new ArrayList<>();
        long dataBytes = 0;
        for (TensorSpec t : m.getTensorsList()) {
            if (!seen.add(t.getName())) {
                throw HubException.invalid("bad_manifest", "tensor '" + t.getName() + "' is listed twice");
            }
            DType dtype = switch (t.getDtype()) {
                case "F32" -> DType.F32;
                case "F16" -> DType.F16;
                case "BF16" -> DType.BF16;
                default -> throw HubException.invalid("wrong_dtype", "tensor '" + t.getName() + "' has dtype "
                        + t.getDtype() + "; adapter factors are F32, F16 or BF16");
            };
            long[] shape = t.getShapeList().stream().mapToLong(Long::longValue).toArray();
            long bytes = TensorInfo.elementCount(shape) * dtype.byteSize();
            if (t.getByteLength() != bytes) {
                throw HubException.invalid("bad_manifest", "tensor '" + t.getName() + "' declares "
                        + t.getByteLength() + " bytes but " + t.getShapeList() + " x " + t.getDtype() + " needs " + bytes);
            }
            tensors.add(new TensorInfo(t.getName(), dtype, shape, dataBytes, dataBytes + bytes));
            dataBytes += bytes;
        }
        Map<String, long[]> shapes = new HashMap<>();
        for (BaseModel.TensorEntry t : base.tensors()) {
            shapes.put(t.name(), t.shape().stream().mapToLong(Long::longValue).toArray());
        }
        try {
            AdapterConfig config = AdapterConfig.parse(Path.of(AdapterConfig.FILE), json);
            AdapterLayout layout = AdapterLayout.of(Path.of(LoraAdapter.WEIGHTS_FILE), config, tensors);
            String mismatch = layout.mismatch(shapes::get, "adapter", config.baseModelNameOrPath(),
                    new ArrayList<>());
            if (mismatch != null) {
                throw HubException.invalid("wrong_shape", mismatch + " ('" + base.name() + "' here)");
            }
        } catch (InvalidAdapterException e) {
            throw HubException.invalid("bad_adapter", e.getMessage());
        }
        checkTotal(m, dataBytes);
    }

    private static void checkTotal(TaskVectorManifest m, long dataBytes) {
        if (m.getTotalBytes() < dataBytes + 8) {
            throw HubException.invalid("bad_manifest", "total_bytes " + m.getTotalBytes()
                    + " is smaller than the tensors it declares (" + dataBytes + " bytes)");
        }
    }
}
