package io.fedmerge.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/** SHA-256 of whole files, streamed (a task vector or a shard is never read into memory). */
public final class FileHashes {
    private FileHashes() {}

    public static String sha256(Path file) throws IOException {
        try (ReadableByteChannel ch = Files.newByteChannel(file)) {
            return sha256(ch);
        }
    }

    public static String sha256(ReadableByteChannel channel) throws IOException {
        MessageDigest sha = CheckpointDigest.sha256();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        while (channel.read(buf) > 0) {
            sha.update(buf.flip());
            buf.clear();
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
