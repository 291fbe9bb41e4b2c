package io.fedmerge.hub;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The hub's own settings ({@code fedmerge.hub.*} in application.yaml).
 *
 * @param dataDir where blobs (base models, task vectors, consolidated checkpoints) and the embedded database live
 * @param modelsRoot the only directory base models may be registered from (default {@code <data-dir>/models})
 * @param adminToken admin API token; blank = generate one at first start and store it hashed
 * @param adminTokenFile where a generated admin token is written once (owner-only); blank = print it on the console
 * @param maxUploadBytes largest task vector a node may declare
 * @param maxChunkBytes largest upload chunk accepted
 * @param keepaliveSeconds interval of keep-alive events on idle watch streams
 * @param mergeThreads merge workers (0 = cores)
 * @param mergeLease how long a replica's claim on a merge holds without renewal (renewed every
 *     {@code fedmerge.hub.lease-renewal-ms}, which must be well below it)
 * @param mergeCancelCheck how often a running merge checks that its round was not cancelled meanwhile
 * @param streams how long-lived gRPC streams are watched (revocation, idleness, abandoned sessions)
 * @param grpc connection limits of the gRPC server beyond Spring gRPC's own keep-alive settings
 * @param disk free space the hub keeps on its data volume
 * @param retention how long the blobs of ended rounds are kept
 * @param commitConcurrency contributions verified at once (hash, decode, NaN scan; 0 = cores): more commits wait
 *     their turn, so memory stays bounded however many hospitals commit at the same moment
 */
@ConfigurationProperties("fedmerge.hub")
public record HubProperties(Path dataDir, Path modelsRoot, String adminToken, String adminTokenFile,
        DataSize maxUploadBytes, DataSize maxChunkBytes, int keepaliveSeconds, int mergeThreads,
        @DefaultValue("30s") Duration mergeLease, @DefaultValue("1s") Duration mergeCancelCheck,
        @DefaultValue Streams streams, @DefaultValue Grpc grpc, @DefaultValue Disk disk,
        @DefaultValue Retention retention, int commitConcurrency) {

    /**
     * @param enabled delete ended rounds' blobs at all
     * @param endedRounds a round ended (PUBLISHED, FAILED, CANCELLED) this long ago loses its contributions and
     *     upload leftovers; a published artifact is always kept. A FAILED round can be retried until then.
     */
    public record Retention(@DefaultValue("true") boolean enabled, @DefaultValue("7d") Duration endedRounds) {}

    /**
     * @param reserve free space never given to uploads or merges: an upload or chunk that would eat into it is
     *     refused (retryably), so the database beside the blobs always has room to write; readiness reports DOWN below it
     */
    public record Disk(@DefaultValue("1GB") DataSize reserve) {}

    /**
     * @param recheckBytes an open upload or download re-checks its node's credential after this many bytes
     * @param recheckInterval ... or after this long, whichever comes first
     * @param uploadIdleTimeout an upload stream that sends no chunk for this long is ended (the session is kept)
     * @param downloadStallTimeout a download whose receiver takes no bytes for this long is ended
     * @param sessionTtl an upload session untouched for this long expires and its partial bytes are deleted
     * @param sweepInterval how often open streams and sessions are checked against these limits
     */
    public record Streams(@DefaultValue("4MB") DataSize recheckBytes, @DefaultValue("2s") Duration recheckInterval,
            @DefaultValue("60s") Duration uploadIdleTimeout, @DefaultValue("120s") Duration downloadStallTimeout,
            @DefaultValue("24h") Duration sessionTtl, @DefaultValue("1s") Duration sweepInterval) {}

    /**
     * @param handshakeTimeout a connection must finish its TLS/HTTP/2 handshake within this
     * @param maxConcurrentCallsPerConnection calls one connection may have open at once
     */
    public record Grpc(@DefaultValue("10s") Duration handshakeTimeout,
            @DefaultValue("32") int maxConcurrentCallsPerConnection) {}

    /** Contributions verified at once. */
    public int commitsAtOnce() {
        return commitConcurrency > 0 ? commitConcurrency : Runtime.getRuntime().availableProcessors();
    }

    public int threads() {
        return mergeThreads > 0 ? mergeThreads : Runtime.getRuntime().availableProcessors();
    }

    /** The models root as configured, or {@code <data-dir>/models}. */
    public Path modelsRootOrDefault() {
        return modelsRoot != null ? modelsRoot : dataDir.resolve("models");
    }
}
