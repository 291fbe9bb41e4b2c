package io.fedmerge.hub.model;

import io.fedmerge.core.io.FileTrees;
import io.fedmerge.hub.HubProperties;
import io.fedmerge.hub.storage.BlobStore;
import io.fedmerge.hub.storage.DiskSpace;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * Uploaded bases as local checkpoint directories, because merge-core maps its inputs. On the filesystem store the
 * directory links to the store's own files; on S3 each replica downloads a base once into
 * {@code <data-dir>/base-cache/<id>} and reuses it. A directory is built beside its place and renamed into it, so
 * nobody ever opens half a base.
 */
@Component
class BaseCache {
    private final BlobStore blobs;
    private final DiskSpace disk;
    private final Path root;
    private final ConcurrentHashMap<String, Object> building = new ConcurrentHashMap<>();

    BaseCache(BlobStore blobs, DiskSpace disk, HubProperties properties) {
        this.blobs = blobs;
        this.disk = disk;
        this.root = properties.dataDir().toAbsolutePath().resolve("base-cache");
    }

    /** The directory holding {@code files}, blobs under {@code prefix} + "/", made on first use. */
    Path directory(String id, String prefix, List<String> files) throws IOException {
        Path dir = root.resolve(id);
        if (Files.isDirectory(dir)) {
            return dir;
        }
        synchronized (building.computeIfAbsent(id, k -> new Object())) {
            if (Files.isDirectory(dir)) {
                return dir;
            }
            Path partial = root.resolve("." + id + "-" + UUID.randomUUID());
            Files.createDirectories(partial);
            try {
                for (String f : files) {
                    place(prefix + "/" + f, partial.resolve(f));
                }
                Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                FileTrees.deleteRecursively(partial);
            }
        }
        return dir;
    }

    /** Forgets a base's directory (the blobs stay where they are). */
    void evict(String id) {
        FileTrees.deleteRecursively(root.resolve(id));
    }

    private void place(String key, Path target) throws IOException {
        if (!blobs.stagesCopies()) {
            try (BlobStore.Staged own = blobs.stage(key)) {
                Files.createSymbolicLink(target, own.path());
            }
            return;
        }
        long size = blobs.size(key);
        disk.requireRoomFor(size, "a local copy of an uploaded base");
        try (SeekableByteChannel in = blobs.read(key);
                FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE)) {
            long at = 0;
            while (at < size) {
                long n = out.transferFrom(in, at, size - at);
                if (n <= 0) {
                    throw new IOException("blob " + key + " ended at byte " + at + " of " + size);
                }
                at += n;
            }
            out.force(true);
        }
    }
}
