package io.fedmerge.core.taskvector;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.FileTrees;
import io.fedmerge.core.io.SafetensorsWriter;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.io.TensorSpec;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.core.tensor.FloatCodec;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns a {@link XorDeltaFormat fedmerge-xor-v1} file back into the float32 task vector, with the base in hand:
 * the fine-tune's bits are the stored bits XOR the base's, Δ = float(fine-tune) − float(base) in float32 exactly as
 * {@link TaskVectorBuilder} computes it. The file comes from a network peer, so everything in it is checked — the
 * tensors must be the base's, in order, every plane must decode to exactly its chunk's size (no zip bomb: nothing
 * decompresses beyond it), nothing may follow the last plane — and an error names what is wrong and where.
 */
public final class XorDeltaDecoder {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    public record Result(Path file, long bytes) {}

    public Result decode(Checkpoint base, Path encoded, Path out) {
        Path partial = out.resolveSibling("." + out.getFileName() + ".partial");
        try (InputStream file = Files.newInputStream(encoded);
                DataInputStream in = new DataInputStream(new BufferedInputStream(file, 1 << 20))) {
            Header h = header(in, base, encoded);
            List<TensorSpec> specs = new ArrayList<>();
            for (Entry e : h.tensors()) {
                specs.add(new TensorSpec(e.name(), DType.F32, base.info(e.name()).shape()));
            }
            long bytes;
            try (SafetensorsWriter w = new SafetensorsWriter(partial, specs, h.metadata())) {
                for (Entry e : h.tensors()) {
                    decodeTensor(in, base, e, w, encoded);
                }
                if (in.read() != -1) {
                    throw bad(encoded, "bytes follow the last plane of the last tensor");
                }
                w.sync();
                bytes = specs.stream().mapToLong(TensorSpec::byteLength).sum();
            }
            Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return new Result(out, bytes);
        } catch (EOFException e) {
            FileTrees.deleteRecursively(partial);
            throw bad(encoded, "ends before its last plane (truncated)");
        } catch (IOException e) {
            FileTrees.deleteRecursively(partial);
            throw new UncheckedIOException("cannot decode " + encoded, e);
        } catch (RuntimeException e) {
            FileTrees.deleteRecursively(partial);
            throw e;
        }
    }

    private record Entry(String name, DType dtype, long elements, boolean xor) {}

    private record Header(Map<String, String> metadata, List<Entry> tensors) {}

    private static Header header(DataInputStream in, Checkpoint base, Path encoded) throws IOException {
        byte[] magic = in.readNBytes(XorDeltaFormat.MAGIC.length);
        if (!Arrays.equals(magic, XorDeltaFormat.MAGIC)) {
            throw bad(encoded, "does not start with the fedmerge-xor-v1 magic bytes");
        }
        int length = Integer.reverseBytes(in.readInt());
        if (length <= 0 || length > XorDeltaFormat.MAX_HEADER_BYTES) {
            throw bad(encoded, "declares a header of " + Integer.toUnsignedString(length) + " bytes (1 to "
                    + XorDeltaFormat.MAX_HEADER_BYTES + " allowed)");
        }
        byte[] json = in.readNBytes(length);
        if (json.length != length) {
            throw new EOFException();
        }
        JsonNode h;
        try {
            h = JSON.readTree(new String(json, StandardCharsets.UTF_8));
        } catch (JacksonException e) {
            throw bad(encoded, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (!"fedmerge-xor-v1".equals(h.path("format").asString(""))
                || h.path("chunk_elements").asLong(-1) != XorDeltaFormat.CHUNK_ELEMENTS) {
            throw bad(encoded, "header is not a fedmerge-xor-v1 header with chunks of " + XorDeltaFormat.CHUNK_ELEMENTS
                    + " elements");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> m : h.path("metadata").properties()) {
            meta.put(m.getKey(), m.getValue().asString());
        }
        List<Entry> tensors = new ArrayList<>();
        List<String> expected = base.tensorNames();
        JsonNode list = h.path("tensors");
        if (list.size() != expected.size()) {
            throw bad(encoded, "lists " + list.size() + " tensors; the base has " + expected.size());
        }
        for (int i = 0; i < expected.size(); i++) {
            JsonNode t = list.get(i);
            String name = t.path("name").asString("");
            TensorInfo b = base.info(expected.get(i));
            if (!name.equals(b.name())) {
                throw bad(encoded, "tensor " + i + " is '" + name + "'; the base's is '" + b.name() + "'");
            }
            DType dtype;
            try {
                dtype = DType.fromSafetensorsName(t.path("dtype").asString(""));
            } catch (FedmergeException e) {
                throw bad(encoded, "tensor '" + name + "': " + e.getMessage());
            }
            boolean xor = t.path("xor").asBoolean(false);
            if (t.path("elements").asLong(-1) != b.elementCount() || (xor && dtype != b.dtype())) {
                throw bad(encoded, "tensor '" + name + "' declares " + t.path("elements") + " " + dtype
                        + " elements" + (xor ? " XOR the base" : "") + "; the base has " + b.elementCount() + " "
                        + b.dtype());
            }
            tensors.add(new Entry(name, dtype, b.elementCount(), xor));
        }
        return new Header(meta, tensors);
    }

    private static void decodeTensor(DataInputStream in, Checkpoint base, Entry e, SafetensorsWriter w, Path encoded)
            throws IOException {
        int width = e.dtype().byteSize();
        int chunk = (int) Math.min(e.elements(), XorDeltaFormat.CHUNK_ELEMENTS);
        byte[] bits = new byte[chunk * width];
        byte[] plane = new byte[chunk];
        float[] tuned = new float[chunk];
        float[] b = new float[chunk];
        for (long first = 0; first < e.elements(); first += XorDeltaFormat.CHUNK_ELEMENTS) {
            int len = (int) Math.min(XorDeltaFormat.CHUNK_ELEMENTS, e.elements() - first);
            for (int k = 0; k < width; k++) {
                readPlane(in, plane, len, e.name(), first, encoded);
                for (int i = 0; i < len; i++) {
                    bits[i * width + k] = plane[i];
                }
            }
            MemorySegment seg = MemorySegment.ofArray(bits);
            if (e.xor()) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment s = base.mapElements(e.name(), first, len, arena).segment();
                    for (int i = 0; i < len * width; i++) {
                        bits[i] ^= s.get(ValueLayout.JAVA_BYTE, i);
                    }
                }
            }
            FloatCodec.decode(seg, 0, e.dtype(), tuned, 0, len);
            base.readFloats(e.name(), first, len, b);
            for (int i = 0; i < len; i++) {
                tuned[i] -= b[i];
            }
            w.write(e.name(), first, tuned, len);
        }
    }

    private static void readPlane(DataInputStream in, byte[] plane, int len, String tensor, long first, Path encoded)
            throws IOException {
        byte codec = in.readByte();
        int stored = Integer.reverseBytes(in.readInt());
        String where = "tensor '" + tensor + "' chunk at element " + first;
        if (codec == XorDeltaFormat.RAW) {
            if (stored != len) {
                throw bad(encoded, where + ": a raw plane of " + stored + " bytes, expected " + len);
            }
            in.readFully(plane, 0, len);
            return;
        }
        if (codec != XorDeltaFormat.ZSTD || stored <= 0 || stored > Zstd.compressBound(len)) {
            throw bad(encoded, where + ": plane codec " + codec + " with " + Integer.toUnsignedString(stored)
                    + " stored bytes is not a valid plane");
        }
        byte[] packed = new byte[stored];
        in.readFully(packed);
        long size;
        try {
            size = Zstd.decompressByteArray(plane, 0, len, packed, 0, stored);
        } catch (ZstdException e) {
            throw bad(encoded, where + ": the zstd plane is corrupt (" + e.getMessage() + ")");
        }
        if (Zstd.isError(size) || size != len) {
            throw bad(encoded, where + ": the zstd plane " + (Zstd.isError(size) ? "is corrupt ("
                    + Zstd.getErrorName(size) + ")" : "holds " + size + " bytes, expected " + len));
        }
    }

    private static FedmergeException bad(Path encoded, String problem) {
        return new FedmergeException(encoded.getFileName() + " is not a valid fedmerge-xor-v1 contribution: "
                + problem);
    }
}
