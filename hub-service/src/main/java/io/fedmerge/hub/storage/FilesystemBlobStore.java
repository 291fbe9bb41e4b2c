package io.fedmerge.hub.storage;

import io.fedmerge.core.io.FileTrees;
import io.fedmerge.hub.HubProperties;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.springframework.stereotype.Component;

/** The embedded default: blobs are files under {@code <data-dir>/blobs}. */
@Component
public class FilesystemBlobStore implements BlobStore {
    private final Path root;

    FilesystemBlobStore(HubProperties properties) throws IOException {
        this.root = properties.dataDir().resolve("blobs").toAbsolutePath().normalize();
        Files.createDirectories(root);
    }

    @Override
    public Path localPath(String key) {
        Path p = root.resolve(key).normalize();
        if (!p.startsWith(root)) {
            throw new IllegalArgumentException("blob key escapes the store: " + key);
        }
        return p;
    }

    @Override
    public long size(String key) throws IOException {
        Path p = localPath(key);
        return Files.exists(p) ? Files.size(p) : -1;
    }

    @Override
    public Appender appender(String key) throws IOException {
        Path p = localPath(key);
        Files.createDirectories(p.getParent());
        FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        return new Appender() {
            private long size = ch.size();

            @Override
            public long size() {
                return size;
            }

            @Override
            public void append(ByteBuffer data) throws IOException {
                while (data.hasRemaining()) {
                    size += ch.write(data, size);
                }
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }

    @Override
    public void sync(String key) throws IOException {
        try (FileChannel ch = FileChannel.open(localPath(key), StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    @Override
    public SeekableByteChannel read(String key) throws IOException {
        try {
            return FileChannel.open(localPath(key), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException("blob " + key);
        }
    }

    @Override
    public void move(String from, String to) throws IOException {
        Path target = localPath(to);
        Files.createDirectories(target.getParent());
        Files.move(localPath(from), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void delete(String key) throws IOException {
        Files.deleteIfExists(localPath(key));
    }

    @Override
    public void deleteTree(String prefix) {
        FileTrees.deleteRecursively(localPath(prefix));
    }
}
