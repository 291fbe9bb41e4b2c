package io.fedmerge.core.io;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.tensor.DType;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The parsed, validated JSON header of a safetensors file: tensors in data-offset order and the string metadata.
 * Validation is strict because a hostile or truncated header must never make us read outside the file or
 * misinterpret bytes: every tensor must be fully described, offsets must tile the data section exactly.
 */
public record SafetensorsHeader(List<TensorInfo> tensors, Map<String, String> metadata) {

    /** Headers beyond this are refused before they are read (the reference implementation uses the same cap). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final JsonMapper JSON =
            JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final Set<String> ENTRY_KEYS = Set.of("dtype", "shape", "data_offsets");

    public SafetensorsHeader {
        tensors = List.copyOf(tensors);
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** Parses and validates header bytes of a file whose data section holds {@code dataSize} bytes. */
    public static SafetensorsHeader parse(byte[] headerBytes, long dataSize, Path file) {
        JsonNode root = readJson(decodeUtf8(headerBytes, file), file);
        if (!root.isObject()) {
            throw new InvalidSafetensorsException(file, "header is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> tensors = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (e.getKey().equals("__metadata__")) {
                metadata.putAll(readMetadata(e.getValue(), file));
            } else {
                tensors.add(readTensor(e.getKey(), e.getValue(), file));
            }
        }
        tensors.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        checkTiling(tensors, dataSize, file);
        return new SafetensorsHeader(tensors, metadata);
    }

    private static String decodeUtf8(byte[] bytes, Path file) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new InvalidSafetensorsException(file, "header is not valid UTF-8");
        }
    }

    private static JsonNode readJson(String text, Path file) {
        try {
            return JSON.readTree(text);
        } catch (JacksonException e) {
            String msg = e.getOriginalMessage();
            if (msg != null && msg.startsWith("Duplicate Object property")) {
                throw new InvalidSafetensorsException(file, "duplicate tensor name in header: " + msg);
            }
            throw new InvalidSafetensorsException(file, "header is not valid JSON: " + msg);
        }
    }

    private static Map<String, String> readMetadata(JsonNode node, Path file) {
        if (!node.isObject()) {
            throw new InvalidSafetensorsException(file, "__metadata__ must be an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isString()) {
                throw new InvalidSafetensorsException(
                        file, "__metadata__." + e.getKey() + " must be a string, found " + e.getValue().getNodeType());
            }
            out.put(e.getKey(), e.getValue().stringValue());
        }
        return out;
    }

    private static TensorInfo readTensor(String name, JsonNode node, Path file) {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw new InvalidSafetensorsException(file, where + ": expected an object with dtype, shape, data_offsets");
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!ENTRY_KEYS.contains(e.getKey())) {
                throw new InvalidSafetensorsException(file, where + ": unknown key '" + e.getKey() + "'");
            }
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isString()) {
            throw new InvalidSafetensorsException(file, where + ": missing string 'dtype'");
        }
        DType dtype;
        try {
            dtype = DType.fromSafetensorsName(dtypeNode.stringValue());
        } catch (FedmergeException e) {
            throw new InvalidSafetensorsException(file, where + ": " + e.getMessage());
        }
        long[] shape = readLongs(node.get("shape"), -1, where + ".shape", file);
        long[] offsets = readLongs(node.get("data_offsets"), 2, where + ".data_offsets", file);
        long elements;
        long expectedBytes;
        try {
            elements = TensorInfo.elementCount(shape);
            expectedBytes = Math.multiplyExact(elements, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new InvalidSafetensorsException(file, where + ": shape " + java.util.Arrays.toString(shape)
                    + " is too large");
        }
        if (offsets[1] < offsets[0]) {
            throw new InvalidSafetensorsException(file, where + ": data_offsets end " + offsets[1]
                    + " is before begin " + offsets[0]);
        }
        if (offsets[1] - offsets[0] != expectedBytes) {
            throw new InvalidSafetensorsException(file, where + ": data_offsets span " + (offsets[1] - offsets[0])
                    + " bytes but shape " + java.util.Arrays.toString(shape) + " x " + dtype + " needs "
                    + expectedBytes);
        }
        return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] readLongs(JsonNode node, int expectedSize, String where, Path file) {
        if (node == null || !node.isArray() || (expectedSize >= 0 && node.size() != expectedSize)) {
            String want = expectedSize >= 0 ? "an array of " + expectedSize + " integers" : "an array of integers";
            throw new InvalidSafetensorsException(file, where + ": expected " + want);
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new InvalidSafetensorsException(file, where + "[" + i + "]: expected a non-negative integer, found "
                        + v);
            }
            out[i] = v.longValue();
        }
        return out;
    }

    /** Offsets must start at 0, follow each other without gap or overlap, and end exactly at the data size. */
    private static void checkTiling(List<TensorInfo> sorted, long dataSize, Path file) {
        long cursor = 0;
        TensorInfo previous = null;
        for (TensorInfo t : sorted) {
            if (t.begin() < cursor) {
                throw new InvalidSafetensorsException(file, "tensor '" + t.name() + "' bytes [" + t.begin() + ", "
                        + t.end() + ") overlap tensor '" + previous.name() + "' [" + previous.begin() + ", "
                        + previous.end() + ")");
            }
            if (t.begin() > cursor) {
                throw new InvalidSafetensorsException(file, "gap of " + (t.begin() - cursor) + " unused bytes before tensor '"
                        + t.name() + "' at data offset " + cursor);
            }
            if (t.end() > dataSize) {
                throw new InvalidSafetensorsException(file, "tensor '" + t.name() + "' ends at data offset " + t.end()
                        + " but the data section holds only " + dataSize + " bytes (truncated file?)");
            }
            cursor = t.end();
            previous = t;
        }
        if (cursor != dataSize) {
            throw new InvalidSafetensorsException(file, (dataSize - cursor) + " trailing bytes after the last tensor"
                    + " (data section is " + dataSize + " bytes, tensors cover " + cursor + ")");
        }
    }
}
