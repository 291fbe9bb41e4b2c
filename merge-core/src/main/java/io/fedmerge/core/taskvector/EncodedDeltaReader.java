package io.fedmerge.core.taskvector;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.FileTrees;
import io.fedmerge.core.io.SafetensorsWriter;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.io.TensorSpec;
import io.fedmerge.core.tensor.DType;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
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
 * What the contribution formats encoded against the base share ({@link XorDeltaFormat}, {@link SparseDeltaFormat}):
 * magic bytes, a length-prefixed JSON header (format, chunk size, the task vector's metadata, the base's tensors in
 * order), then chunk after chunk of each tensor; decoding writes the float32 task vector under a temporary name and
 * renames it when complete. The file comes from a network peer, so everything is checked — the tensors must be the
 * base's, in order; nothing may follow the last chunk — and an error names what is wrong and where.
 */
final class EncodedDeltaReader {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    static final int MAX_HEADER_BYTES = 64 << 20;

    /**
     * How one format stores a chunk of a tensor. A decoder is made for every tensor when the header is checked, so it
     * allocates its buffers at its first chunk, not before.
     */
    interface ChunkDecoder {
        /** Fills {@code delta[0, len)} with Δ of elements [first, first + len). */
        void decode(DataInputStream in, long first, int len, float[] delta) throws IOException;
    }

    /** A format: its identity, and a decoder for each tensor entry of the header (checked against the base). */
    interface Format {
        byte[] magic();

        String name();

        int chunkElements();

        ChunkDecoder tensor(JsonNode entry, TensorInfo base, Reader reader);
    }

    /** The file being read: for errors. */
    record Reader(Path encoded, String format) {
        FedmergeException bad(String problem) {
            return new FedmergeException(encoded.getFileName() + " is not a valid " + format + " contribution: "
                    + problem);
        }
    }

    private EncodedDeltaReader() {}

    /** @return bytes of tensor data written */
    static long decode(Format format, Checkpoint base, Path encoded, Path out) {
        Reader reader = new Reader(encoded, format.name());
        Path partial = out.resolveSibling("." + out.getFileName() + ".partial");
        try (InputStream file = Files.newInputStream(encoded);
                DataInputStream in = new DataInputStream(new BufferedInputStream(file, 1 << 20))) {
            JsonNode h = header(in, format, reader);
            Map<String, String> meta = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> m : h.path("metadata").properties()) {
                meta.put(m.getKey(), m.getValue().asString());
            }
            List<ChunkDecoder> decoders = tensors(h.path("tensors"), base, format, reader);
            List<TensorSpec> specs = new ArrayList<>();
            for (String name : base.tensorNames()) {
                specs.add(new TensorSpec(name, DType.F32, base.info(name).shape()));
            }
            try (SafetensorsWriter w = new SafetensorsWriter(partial, specs, meta)) {
                for (int t = 0; t < specs.size(); t++) {
                    decodeTensor(in, base.info(specs.get(t).name()), decoders.get(t), format.chunkElements(), w);
                    decoders.set(t, null); // its buffers go with it: one tensor's at a time, never the model's
                }
                if (in.read() != -1) {
                    throw reader.bad("bytes follow the last chunk of the last tensor");
                }
                w.sync();
            }
            Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return specs.stream().mapToLong(TensorSpec::byteLength).sum();
        } catch (EOFException e) {
            FileTrees.deleteRecursively(partial);
            throw reader.bad("ends before its last chunk (truncated)");
        } catch (IOException e) {
            FileTrees.deleteRecursively(partial);
            throw new UncheckedIOException("cannot decode " + encoded, e);
        } catch (RuntimeException e) {
            FileTrees.deleteRecursively(partial);
            throw e;
        }
    }

    private static JsonNode header(DataInputStream in, Format format, Reader reader) throws IOException {
        byte[] magic = in.readNBytes(format.magic().length);
        if (!Arrays.equals(magic, format.magic())) {
            throw reader.bad("does not start with the " + format.name() + " magic bytes");
        }
        int length = Integer.reverseBytes(in.readInt());
        if (length <= 0 || length > MAX_HEADER_BYTES) {
            throw reader.bad("declares a header of " + Integer.toUnsignedString(length) + " bytes (1 to "
                    + MAX_HEADER_BYTES + " allowed)");
        }
        byte[] json = in.readNBytes(length);
        if (json.length != length) {
            throw new EOFException();
        }
        JsonNode h;
        try {
            h = JSON.readTree(new String(json, StandardCharsets.UTF_8));
        } catch (JacksonException e) {
            throw reader.bad("header is not valid JSON: " + e.getOriginalMessage());
        }
        if (!format.name().equals(h.path("format").asString(""))
                || h.path("chunk_elements").asLong(-1) != format.chunkElements()) {
            throw reader.bad("header is not a " + format.name() + " header with chunks of " + format.chunkElements()
                    + " elements");
        }
        return h;
    }

    private static List<ChunkDecoder> tensors(JsonNode list, Checkpoint base, Format format, Reader reader) {
        List<String> expected = base.tensorNames();
        if (list.size() != expected.size()) {
            throw reader.bad("lists " + list.size() + " tensors; the base has " + expected.size());
        }
        List<ChunkDecoder> decoders = new ArrayList<>();
        for (int i = 0; i < expected.size(); i++) {
            JsonNode t = list.get(i);
            String name = t.path("name").asString("");
            TensorInfo b = base.info(expected.get(i));
            if (!name.equals(b.name())) {
                throw reader.bad("tensor " + i + " is '" + name + "'; the base's is '" + b.name() + "'");
            }
            if (t.path("elements").asLong(-1) != b.elementCount()) {
                throw reader.bad("tensor '" + name + "' declares " + t.path("elements") + " elements; the base has "
                        + b.elementCount());
            }
            decoders.add(format.tensor(t, b, reader));
        }
        return decoders;
    }

    private static void decodeTensor(DataInputStream in, TensorInfo b, ChunkDecoder decoder, int chunkElements,
            SafetensorsWriter w) throws IOException {
        long n = b.elementCount();
        float[] delta = new float[(int) Math.min(n, chunkElements)];
        for (long first = 0; first < n; first += chunkElements) {
            int len = (int) Math.min(chunkElements, n - first);
            decoder.decode(in, first, len, delta);
            w.write(b.name(), first, delta, len);
        }
    }

    /** Where a chunk is, for messages. */
    static String where(String tensor, long first) {
        return "tensor '" + tensor + "' chunk at element " + first;
    }
}
