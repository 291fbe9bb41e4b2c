package io.fedmerge.hub.storage;

import io.fedmerge.hub.HubException;
import io.fedmerge.hub.HubProperties;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.springframework.stereotype.Component;

/**
 * The free space of the hub's data volume, and the reserve it never hands out. Uploads (also on the S3 store,
 * which spools them there) and merges (which write their output there) ask for room before they take it, so a
 * full disk refuses new work retryably instead of closing the embedded database under the hub.
 */
@Component
public class DiskSpace {
    private final FileStore volume;
    private final Path dataDir;
    private final long reserve;

    DiskSpace(HubProperties properties) throws IOException {
        this.dataDir = properties.dataDir().toAbsolutePath();
        Files.createDirectories(dataDir);
        this.volume = Files.getFileStore(dataDir);
        this.reserve = properties.disk().reserve().toBytes();
    }

    /** Bytes that can still be written before the reserve (0 when already inside it). */
    public long available() {
        try {
            return Math.max(0, volume.getUsableSpace() - reserve);
        } catch (IOException e) {
            return 0;
        }
    }

    /** Refuses, with UNAVAILABLE and what to do, unless {@code bytes} more fit above the reserve. */
    public void requireRoomFor(long bytes, String what) {
        long available = available();
        if (bytes > available) {
            throw HubException.unavailable("disk_full", what + " needs " + mb(bytes) + " but the hub's data volume"
                    + " has " + mb(available) + " free above its reserve of " + mb(reserve)
                    + " (fedmerge.hub.disk.reserve); retry later, the hub operator has been told by readiness");
        }
    }

    private static String mb(long bytes) {
        return String.format("%.1f MB", bytes / 1e6);
    }

    Path dataDir() {
        return dataDir;
    }
}
