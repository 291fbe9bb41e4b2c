package io.fedmerge.core.io;

import io.fedmerge.core.tensor.FloatCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An open safetensors file with a validated header. Tensor bytes are reached through memory mappings of just the
 * requested range, made in a caller's arena: closing that arena unmaps them, so reading a 14 GB model never leaves
 * more than the slices in use resident.
 */
public final class SafetensorsFile implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final SafetensorsHeader header;
    private final Map<String, TensorInfo> byName;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.header = header;
        this.byName = new LinkedHashMap<>();
        for (TensorInfo t : header.tensors()) {
            byName.put(t.name(), t);
        }
    }

    /** Opens and validates {@code path}; every structural problem is an {@link InvalidSafetensorsException}. */
    public static SafetensorsFile open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new InvalidSafetensorsException(path, "file does not exist");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + path, e);
        }
        try {
            return readHeader(path, channel);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static SafetensorsFile readHeader(Path path, FileChannel channel) {
        try {
            long size = channel.size();
            if (size < 8) {
                throw new InvalidSafetensorsException(path, "truncated: " + size
                        + " bytes, but a safetensors file starts with an 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength < 0 || headerLength > SafetensorsHeader.MAX_HEADER_BYTES) {
                throw new InvalidSafetensorsException(path, "header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the " + SafetensorsHeader.MAX_HEADER_BYTES + "-byte cap (not a safetensors file?)");
            }
            if (8 + headerLength > size) {
                throw new InvalidSafetensorsException(path, "header length " + headerLength
                        + " reaches beyond the end of the " + size + "-byte file (truncated?)");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, 8);
            long dataStart = 8 + headerLength;
            SafetensorsHeader header = SafetensorsHeader.parse(headerBytes.array(), size - dataStart, path);
            return new SafetensorsFile(path, channel, dataStart, header);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long pos = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    public Path path() {
        return path;
    }

    public SafetensorsHeader header() {
        return header;
    }

    public List<TensorInfo> tensors() {
        return header.tensors();
    }

    public TensorInfo tensor(String name) {
        return byName.get(name);
    }

    /** Where tensor {@code t}'s first byte is in the file (for tools that patch a file they wrote). */
    public long fileOffset(TensorInfo t) {
        return dataStart + t.begin();
    }

    /** Maps {@code byteCount} bytes of tensor {@code t} starting {@code byteOffset} bytes into it, read-only. */
    public MemorySegment map(TensorInfo t, long byteOffset, long byteCount, Arena arena) {
        requireWithin(t, byteOffset, byteCount);
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin() + byteOffset, byteCount, arena);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map " + t.name() + " of " + path, e);
        }
    }

    /** Maps elements [{@code first}, {@code first + count}) of {@code t} for the life of {@code arena}. */
    public MappedElements mapElements(TensorInfo t, long first, int count, Arena arena) {
        int size = t.dtype().byteSize();
        MemorySegment segment = map(t, first * size, (long) count * size, arena);
        PageReadahead.populate(segment);
        return new MappedElements(segment, t.dtype());
    }

    /**
     * Elements [{@code first}, {@code first + count}) of {@code t}, read from the file as they are decoded (see
     * {@link ReadElements}); the reads use a buffer from {@code arena}, so only its thread may decode them.
     */
    public ElementRun readElements(TensorInfo t, long first, int count, Arena arena) {
        int size = t.dtype().byteSize();
        requireWithin(t, first * size, (long) count * size);
        return new ReadElements(channel, path, t.name(), dataStart + t.begin() + first * size, count, t.dtype(),
                arena);
    }

    private static void requireWithin(TensorInfo t, long byteOffset, long byteCount) {
        if (byteOffset < 0 || byteCount < 0 || byteOffset + byteCount > t.byteLength()) {
            throw new IndexOutOfBoundsException("range [" + byteOffset + ", " + (byteOffset + byteCount)
                    + ") outside tensor " + t.name() + " of " + t.byteLength() + " bytes");
        }
    }

    /** Decodes elements [{@code first}, {@code first + count}) of {@code t} into {@code dst[0, count)} as float32. */
    public void readFloats(TensorInfo t, long first, int count, float[] dst) {
        if (count == 0) {
            return;
        }
        int size = t.dtype().byteSize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = map(t, first * size, (long) count * size, arena);
            FloatCodec.decode(seg, 0, t.dtype(), dst, 0, count);
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Read-only channel: nothing can be lost by a failed close.
        }
    }
}
