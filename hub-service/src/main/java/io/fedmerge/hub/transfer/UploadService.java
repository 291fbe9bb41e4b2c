package io.fedmerge.hub.transfer;

import io.fedmerge.hub.AuditLog;
import io.fedmerge.hub.HubException;
import io.fedmerge.hub.HubProperties;
import io.fedmerge.hub.metrics.HubMetrics;
import io.fedmerge.hub.model.BaseModel;
import io.fedmerge.hub.model.BaseModelRegistry;
import io.fedmerge.hub.node.Node;
import io.fedmerge.hub.round.Round;
import io.fedmerge.hub.round.RoundState;
import io.fedmerge.hub.round.RoundStore;
import io.fedmerge.hub.storage.BlobStore;
import io.fedmerge.hub.storage.DiskSpace;
import io.fedmerge.proto.v1.TaskVectorManifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Upload sessions: open one after validating its manifest (before any bulk byte), append chunks at the committed
 * offset with their CRC-32C checked, and end sessions that are replaced, revoked or abandoned. Commits are
 * {@link ContributionCommits}.
 */
@Service
public class UploadService {
    public record Begun(String uploadId, long committedOffset, boolean alreadyCommitted) {}

    private static final Logger LOG = LoggerFactory.getLogger(UploadService.class);
    private final UploadStore uploads;
    private final RoundStore rounds;
    private final BaseModelRegistry bases;
    private final BlobStore blobs;
    private final HubMetrics metrics;
    private final AuditLog audit;
    private final HubProperties properties;
    private final TransactionTemplate tx;
    private final DiskSpace disk;

    UploadService(UploadStore uploads, RoundStore rounds, BaseModelRegistry bases, BlobStore blobs, HubMetrics metrics,
            AuditLog audit, HubProperties properties, TransactionTemplate tx, DiskSpace disk) {
        this.disk = disk;
        this.uploads = uploads;
        this.rounds = rounds;
        this.bases = bases;
        this.blobs = blobs;
        this.metrics = metrics;
        this.audit = audit;
        this.properties = properties;
        this.tx = tx;
    }

    public int maxChunkBytes() {
        return (int) properties.maxChunkBytes().toBytes();
    }

    public Begun begin(Node node, String roundId, TaskVectorManifest manifest) {
        try {
            Round round = openRoundFor(node, roundId);
            BaseModel base = bases.require(round.baseModelId());
            ManifestCheck.check(manifest, base, properties.maxUploadBytes().toBytes());
            Begun begun = tx.execute(status -> reuseOrCreate(node, round, manifest));
            if (!begun.alreadyCommitted()) {
                disk.requireRoomFor(manifest.getTotalBytes() - begun.committedOffset(), "this upload");
            }
            return begun;
        } catch (HubException e) {
            metrics.contributionRejected(e.reason());
            throw e;
        }
    }

    /** The round, if this node may contribute to it now (a quick check; commits re-check under the row lock). */
    Round openRoundFor(Node node, String roundId) {
        Round round = rounds.find(roundId).orElseThrow(() -> HubException.notFound("no round " + roundId
                + " on this hub"));
        if (!rounds.invited(roundId, node.id())) {
            throw HubException.denied("node " + node.name() + " is not invited to round " + roundId);
        }
        if (round.state() != RoundState.OPEN) {
            throw HubException.precondition("round_closed", "round " + roundId + " is " + round.state()
                    + "; it no longer accepts contributions");
        }
        return round;
    }

    /** Under the round's row lock, so two BeginUploads of one node on two replicas cannot both open a session. */
    private Begun reuseOrCreate(Node node, Round round, TaskVectorManifest manifest) {
        if (rounds.lockState(round.id()).orElse(null) != RoundState.OPEN) {
            throw HubException.precondition("round_closed", "round " + round.id() + " no longer accepts"
                    + " contributions");
        }
        for (Upload u : uploads.live(round.id(), node.id())) {
            boolean same = u.sha256().equals(manifest.getSha256()) && u.totalBytes() == manifest.getTotalBytes();
            if (same && u.state() == Upload.State.COMMITTED) {
                return new Begun(u.id(), u.totalBytes(), true);
            }
            if (same && uploads.touchIfOpen(u.id())) {
                return new Begun(u.id(), committedOffset(u), false);
            }
            if (u.state() == Upload.State.UPLOADING && uploads.endIfUploading(u.id(), Upload.State.SUPERSEDED)) {
                deletePartial(u);
            }
        }
        Upload u = new Upload(UUID.randomUUID().toString(), round.id(), node.id(), manifest.getSha256(),
                manifest.getTotalBytes(), manifest, Upload.State.UPLOADING, Instant.now(), null);
        uploads.insert(u);
        audit.record("node:" + node.id(), "upload.begin", round.id(), "upload " + u.id() + ", "
                + manifest.getTotalBytes() + " bytes");
        return new Begun(u.id(), 0, false);
    }

    /** The session a chunk stream writes to; checked once, on its first chunk. */
    public Upload session(Node node, String uploadId) {
        Upload u = uploads.find(uploadId).orElseThrow(() -> HubException.notFound("no upload " + uploadId
                + "; call BeginUpload again"));
        if (!u.nodeId().equals(node.id())) {
            throw HubException.denied("upload " + uploadId + " belongs to another node");
        }
        if (u.state() != Upload.State.UPLOADING) {
            throw HubException.precondition("not_uploading", "upload " + uploadId + " is " + u.state()
                    + "; call BeginUpload again");
        }
        return u;
    }

    /** Records progress of an open session; false when it was replaced, expired or discarded meanwhile. */
    boolean touchIfOpen(Upload u) {
        return uploads.touchIfOpen(u.id());
    }

    /** After a chunk stream ended: a session no longer live loses what the stream wrote after it was discarded. */
    void afterStream(Upload u) {
        try {
            if (!uploads.touchIfOpen(u.id()) && uploads.find(u.id()).map(x -> x.state() != Upload.State.COMMITTED)
                    .orElse(true)) {
                blobs.delete(u.partialKey());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("upload={} clean-up after its stream failed: {}", u.id(), e.getMessage());
        }
    }

    /** A revoked node's partial upload: never committed, its bytes deleted. */
    void discardRevoked(Upload u) {
            if (uploads.endIfUploading(u.id(), Upload.State.SUPERSEDED)) {
                deletePartial(u);
                audit.record("hub", "upload.discard", u.roundId(), "upload " + u.id() + " of revoked node "
                        + u.nodeId());
            }
    }

    /** Discards every upload in progress of a node (it was just revoked); its open streams end at their re-check. */
    public void discardOpenUploads(String nodeId) {
        for (Upload u : uploads.uploading(nodeId)) {
            discardRevoked(u);
        }
    }

    /** Opens the session's partial blob for one chunk stream; the caller closes it when the stream ends. */
    public BlobStore.Appender open(Upload u) {
        try {
            return blobs.appender(u.partialKey());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open upload " + u.id() + " for writing", e);
        }
    }

    /** Appends one chunk at the committed offset after checking its CRC-32C; returns the new committed offset. */
    public long append(Upload u, BlobStore.Appender out, long offset, ByteBuffer data, OptionalInt crc32c) {
        try {
            if (data.remaining() > maxChunkBytes()) {
                throw HubException.invalid("chunk_too_large", "chunk of " + data.remaining() + " bytes exceeds "
                        + maxChunkBytes());
            }
            long committed = out.size();
            if (offset != committed) {
                throw HubException.precondition("wrong_offset", "chunk at offset " + offset
                        + " but the hub expects offset " + committed + "; resume from there");
            }
            if (committed + data.remaining() > u.totalBytes()) {
                throw HubException.invalid("too_many_bytes", "chunk ends at " + (committed + data.remaining())
                        + ", beyond the declared " + u.totalBytes() + " bytes");
            }
            if (crc32c.isEmpty()) {
                throw HubException.invalid("no_crc", "chunk at offset " + offset + " carries no crc32c; every chunk"
                        + " must (a value of 0 is a checksum too)");
            }
            CRC32C crc = new CRC32C();
            crc.update(data.duplicate());
            if ((int) crc.getValue() != crc32c.getAsInt()) {
                throw new HubException(HubException.Kind.DATA_LOSS, "bad_crc", "chunk at offset " + offset
                        + " arrived corrupted (CRC-32C mismatch); send it again");
            }
            int n = data.remaining();
            disk.requireRoomFor(n, "the chunk at offset " + offset); // what arrived so far stays: resume later
            out.append(data);
            metrics.received(n);
            return committed + n;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store upload " + u.id() + ": " + e.getMessage(), e);
        } catch (HubException e) {
            metrics.contributionRejected(e.reason());
            throw e;
        }
    }

    public long committedOffset(Upload u) {
        try {
            return Math.max(0, blobs.size(u.partialKey()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes an upload's partial bytes (its session already ended). */
    void deletePartial(Upload u) {
        try {
            blobs.delete(u.partialKey());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the partial bytes of upload " + u.id(), e);
        }
    }
}
