package io.fedmerge.hub.storage;

import io.fedmerge.core.io.FileTrees;
import io.fedmerge.hub.HubProperties;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/** The embedded default: blobs are files under {@code <data-dir>/blobs}. */
@Component
@ConditionalOnProperty(name = "fedmerge.hub.storage.type", havingValue = "filesystem", matchIfMissing = true)
public class FilesystemBlobStore implements BlobStore {
    private final Path root;

    @Autowired
    FilesystemBlobStore(HubProperties properties) throws IOException {
        this(properties.dataDir().resolve("blobs"));
    }

    /** A store rooted at {@code root} (its own tests). */
    FilesystemBlobStore(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        Files.createDirectories(this.root);
    }

    private Path file(String key) {
        Path p = root.resolve(key).normalize();
        if (!p.startsWith(root)) {
            throw new IllegalArgumentException("blob key escapes the store: " + key);
        }
        return p;
    }

    @Override
    public long size(String key) throws IOException {
        Path p = file(key);
        return Files.exists(p) ? Files.size(p) : -1;
    }

    @Override
    public Appender appender(String key) throws IOException {
        Path p = file(key);
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
                try {
                    ch.force(false); // BlobStore promises the appended bytes are durable once closed
                } finally {
                    ch.close();
                }
            }
        };
    }

    @Override
    public SeekableByteChannel read(String key) throws IOException {
        try {
            return FileChannel.open(file(key), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException("blob " + key);
        }
    }

    @Override
    public boolean stagesCopies() {
        return false;
    }

    @Override
    public Staged stage(String key) throws IOException {
        Path p = file(key);
        if (!Files.isRegularFile(p)) {
            throw new NoSuchFileException("blob " + key);
        }
        return new Staged() {
            @Override
            public Path path() {
                return p;
            }

            @Override
            public void close() {
                // The store's own file: nothing to release.
            }
        };
    }

    @Override
    public void put(String key, Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true); // durable before it becomes visible under its key
        }
        Path target = file(key);
        Files.createDirectories(target.getParent());
        try {
            Files.move(file, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // Another file system (a scratch volume): copy beside the target, then rename there.
            Path tmp = target.resolveSibling(target.getFileName() + ".incoming");
            Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.delete(file);
        }
    }

    @Override
    public void delete(String key) throws IOException {
        Files.deleteIfExists(file(key));
    }

    @Override
    public List<String> list(String dir) throws IOException {
        Path d = file(dir);
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(d)) {
            return entries.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
                    .filter(n -> !n.endsWith(".incoming")).sorted().toList();
        }
    }

    @Override
    public void deleteTree(String prefix) {
        FileTrees.deleteRecursively(file(prefix));
    }
}
