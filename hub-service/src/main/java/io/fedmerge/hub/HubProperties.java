package io.fedmerge.hub;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The hub's own settings ({@code fedmerge.hub.*} in application.yaml).
 *
 * @param dataDir where blobs (base models, task vectors, consolidated checkpoints) and the embedded database live
 * @param adminToken admin API token; blank = generate one at first start, store it hashed and print it once
 * @param maxUploadBytes largest task vector a node may declare
 * @param maxChunkBytes largest upload chunk accepted
 * @param keepaliveSeconds interval of keep-alive events on idle watch streams
 * @param mergeThreads merge workers (0 = cores)
 */
@ConfigurationProperties("fedmerge.hub")
public record HubProperties(Path dataDir, String adminToken, DataSize maxUploadBytes, DataSize maxChunkBytes,
        int keepaliveSeconds, int mergeThreads) {

    public int threads() {
        return mergeThreads > 0 ? mergeThreads : Runtime.getRuntime().availableProcessors();
    }
}
