package io.fedmerge.hub.round;

import io.fedmerge.core.method.UnitReport;
import io.fedmerge.hub.storage.BlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The hierarchical method's per-unit cosines and weights of a published round — where the hospitals' updates agreed
 * and where they conflicted and the merge reverted to the base — kept beside the artifact for the console's map.
 */
@Component
public class UnitReports {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final BlobStore blobs;

    UnitReports(BlobStore blobs) {
        this.blobs = blobs;
    }

    void store(String roundId, List<UnitReport> units, Path work) throws IOException {
        if (units.isEmpty()) {
            return;
        }
        Path file = Files.writeString(work.resolve("units.json"), JSON.writeValueAsString(units));
        blobs.put(key(roundId), file);
    }

    /** The round's units in merge order; empty for a method that reports none or a round not merged yet. */
    public List<UnitReport> of(String roundId) {
        try {
            if (blobs.size(key(roundId)) < 0) {
                return List.of();
            }
            try (InputStream in = Channels.newInputStream(blobs.read(key(roundId)))) {
                return JSON.readValue(in, new TypeReference<List<UnitReport>>() {});
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String key(String roundId) {
        return "rounds/" + roundId + "/units.json";
    }
}
