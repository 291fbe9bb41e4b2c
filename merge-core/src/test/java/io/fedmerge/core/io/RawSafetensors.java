package io.fedmerge.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes safetensors files byte by byte, so tests can build every kind of broken file. */
final class RawSafetensors {
    private RawSafetensors() {}

    static Path write(Path file, String headerJson, int dataBytes) throws IOException {
        return write(file, headerJson.getBytes(StandardCharsets.UTF_8), dataBytes);
    }

    static Path write(Path file, byte[] header, int dataBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        Files.write(file, b.array());
        return file;
    }

    static Path writeWithDeclaredLength(Path file, long declared, byte[] rest) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declared).put(rest);
        Files.write(file, b.array());
        return file;
    }
}
