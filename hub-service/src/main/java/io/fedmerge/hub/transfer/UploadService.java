package io.fedmerge.hub.transfer;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.FileHashes;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.taskvector.TaskVectorFormat;
import io.fedmerge.core.tensor.FloatCodec;
import io.fedmerge.hub.AuditLog;
import io.fedmerge.hub.HubException;
import io.fedmerge.hub.HubProperties;
import io.fedmerge.hub.metrics.HubMetrics;
import io.fedmerge.hub.model.BaseModel;
import io.fedmerge.hub.model.BaseModelRegistry;
import io.fedmerge.hub.node.Node;
import io.fedmerge.hub.round.Round;
import io.fedmerge.hub.round.RoundLocks;
import io.fedmerge.hub.round.RoundState;
import io.fedmerge.hub.round.RoundStore;
import io.fedmerge.hub.storage.BlobStore;
import io.fedmerge.proto.v1.TaskVectorManifest;
import io.fedmerge.proto.v1.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Service;

/**
 * Contributions: open an upload after validating its manifest, append chunks at the committed offset, and commit
 * only bytes whose SHA-256 and content check out. Nothing half-uploaded or unverified ever counts for a round.
 */
@Service
public class UploadService {
    private static final Logger LOG = LoggerFactory.getLogger(UploadService.class);
    public record Begun(String uploadId, long committedOffset, boolean alreadyCommitted) {}

    private final UploadStore uploads;
    private final RoundStore rounds;
    private final RoundLocks locks;
    private final BaseModelRegistry bases;
    private final BlobStore blobs;
    private final HubMetrics metrics;
    private final AuditLog audit;
    private final HubProperties properties;

    UploadService(UploadStore uploads, RoundStore rounds, RoundLocks locks, BaseModelRegistry bases, BlobStore blobs,
            HubMetrics metrics, AuditLog audit, HubProperties properties) {
        this.uploads = uploads;
        this.rounds = rounds;
        this.locks = locks;
        this.bases = bases;
        this.blobs = blobs;
        this.metrics = metrics;
        this.audit = audit;
        this.properties = properties;
    }

    public int maxChunkBytes() {
        return (int) properties.maxChunkBytes().toBytes();
    }

    public Begun begin(Node node, String roundId, TaskVectorManifest manifest) {
        try {
            Round round = openRoundFor(node, roundId);
            BaseModel base = bases.byId(round.baseModelId()).orElseThrow();
            ManifestCheck.check(manifest, base, properties.maxUploadBytes().toBytes());
            return locks.with(roundId, () -> reuseOrCreate(node, round, manifest));
        } catch (HubException e) {
            metrics.contributionRejected(e.reason());
            throw e;
        }
    }

    private Round openRoundFor(Node node, String roundId) {
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

    private Begun reuseOrCreate(Node node, Round round, TaskVectorManifest manifest) throws IOException {
        for (Upload u : uploads.live(round.id(), node.id())) {
            boolean same = u.sha256().equals(manifest.getSha256()) && u.totalBytes() == manifest.getTotalBytes();
            if (same && u.state() == Upload.State.COMMITTED) {
                return new Begun(u.id(), u.totalBytes(), true);
            }
            if (same && uploads.touchIfOpen(u.id())) {
                return new Begun(u.id(), Math.max(0, blobs.size(u.partialKey())), false);
            }
            if (u.state() == Upload.State.UPLOADING && uploads.endIfUploading(u.id(), Upload.State.SUPERSEDED)) {
                blobs.delete(u.partialKey());
            }
        }
        Upload u = new Upload(UUID.randomUUID().toString(), round.id(), node.id(), manifest.getSha256(),
                manifest.getTotalBytes(), manifest, Upload.State.UPLOADING, Instant.now());
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
        try {
            if (uploads.endIfUploading(u.id(), Upload.State.SUPERSEDED)) {
                blobs.delete(u.partialKey());
                audit.record("hub", "upload.discard", u.roundId(), "upload " + u.id() + " of revoked node "
                        + u.nodeId());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete upload " + u.id(), e);
        }
    }

    /** Discards every upload in progress of a node (it was just revoked); its open streams end at their re-check. */
    public void discardOpenUploads(String nodeId) {
        for (Upload u : uploads.uploading(nodeId)) {
            discardRevoked(u);
        }
    }

    /**
     * Expires sessions nobody has touched for the session TTL, or whose round closed: their partial bytes are
     * deleted, so a declared 64 GB upload that was abandoned does not hold the disk.
     */
    @Scheduled(fixedDelayString = "${fedmerge.hub.streams.session-sweep-ms:60000}",
            initialDelayString = "${fedmerge.hub.streams.session-sweep-ms:60000}")
    public void expireAbandoned() {
        for (Upload u : uploads.abandoned(Instant.now().minus(properties.streams().sessionTtl()))) {
            try {
                if (uploads.endIfUploading(u.id(), Upload.State.EXPIRED)) {
                    blobs.delete(u.partialKey());
                    audit.record("hub", "upload.expire", u.roundId(), "upload " + u.id() + " of node " + u.nodeId());
                }
            } catch (IOException e) {
                LOG.warn("upload={} expired, but its bytes could not be deleted yet: {}", u.id(), e.getMessage());
            }
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

    /** Appends one chunk at the committed offset; returns the new committed offset. */
    public long append(Upload u, BlobStore.Appender out, long offset, ByteBuffer data, int crc32c) {
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
            if (crc32c != 0) {
                CRC32C crc = new CRC32C();
                crc.update(data.duplicate());
                if ((int) crc.getValue() != crc32c) {
                    throw new HubException(HubException.Kind.DATA_LOSS, "bad_crc", "chunk at offset " + offset
                            + " arrived corrupted (CRC-32C mismatch); send it again");
                }
            }
            int n = data.remaining();
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

    public Upload commit(Node node, String uploadId, String sha256) {
        Upload u = uploads.find(uploadId).orElseThrow(() -> HubException.notFound("no upload " + uploadId));
        if (!u.nodeId().equals(node.id())) {
            throw HubException.denied("upload " + uploadId + " belongs to another node");
        }
        if (u.state() == Upload.State.COMMITTED) {
            return u;
        }
        try {
            return locks.with(u.roundId(), () -> verifyAndCommit(node, u, sha256));
        } catch (HubException e) {
            metrics.contributionRejected(e.reason());
            throw e;
        }
    }

    private Upload verifyAndCommit(Node node, Upload u, String sha256) throws IOException {
        Round round = openRoundFor(node, u.roundId());
        if (!u.sha256().equals(sha256)) {
            throw HubException.invalid("sha_mismatch", "commit names SHA-256 " + sha256 + " but the upload was"
                    + " opened for " + u.sha256());
        }
        long have = Math.max(0, blobs.size(u.partialKey()));
        if (have != u.totalBytes()) {
            throw HubException.precondition("incomplete", "upload holds " + have + " of " + u.totalBytes()
                    + " bytes; send the rest from offset " + have);
        }
        // A local copy for the checks (the store's own file on a filesystem store), released once stored.
        try (BlobStore.Staged staged = blobs.stage(u.partialKey())) {
            String actual = FileHashes.sha256(staged.path());
            if (!actual.equals(u.sha256())) {
                discard(u);
                throw new HubException(HubException.Kind.DATA_LOSS, "bad_checksum", "received bytes have SHA-256 "
                        + actual + ", not the declared " + u.sha256() + "; the upload was discarded, send it again");
            }
            verifyContent(u, staged.path(), bases.byId(round.baseModelId()).orElseThrow());
            blobs.promote(u.partialKey(), contributionKey(round.id(), node.id()), staged.path());
        }
        for (Upload previous : uploads.live(round.id(), node.id())) {
            if (previous.state() == Upload.State.COMMITTED) {
                uploads.setState(previous.id(), Upload.State.SUPERSEDED);
                audit.record("node:" + node.id(), "contribution.replace", round.id(), "upload " + previous.id()
                        + " replaced by " + u.id());
            }
        }
        uploads.setState(u.id(), Upload.State.COMMITTED);
        metrics.contributionCommitted(Duration.between(u.createdAt(), Instant.now()));
        audit.record("node:" + node.id(), "contribution.commit", round.id(), "upload " + u.id() + ", sha256 "
                + u.sha256());
        return uploads.find(u.id()).orElseThrow();
    }

    public static String contributionKey(String roundId, String nodeId) {
        return "rounds/" + roundId + "/contributions/" + nodeId + ".safetensors";
    }

    private void discard(Upload u) throws IOException {
        uploads.endIfUploading(u.id(), Upload.State.SUPERSEDED);
        blobs.delete(u.partialKey());
    }

    /** Parses the file as safetensors, matches it to the manifest and base, and scans every value for NaN/Inf. */
    private void verifyContent(Upload u, Path file, BaseModel base) throws IOException {
        try (Checkpoint tv = Checkpoint.open(file)) {
            if (!base.digest().equals(tv.metadata().get(TaskVectorFormat.BASE_DIGEST))) {
                throw HubException.precondition("wrong_base", "the file's metadata names base digest "
                        + tv.metadata().get(TaskVectorFormat.BASE_DIGEST) + ", not " + base.digest());
            }
            List<TensorSpec> declared = u.manifest().getTensorsList();
            if (tv.tensorNames().size() != declared.size()) {
                throw HubException.invalid("manifest_mismatch", "file holds " + tv.tensorNames().size()
                        + " tensors, the manifest declared " + declared.size());
            }
            float[] buf = new float[1 << 20];
            for (TensorSpec t : declared) {
                TensorInfo info = tv.info(t.getName());
                if (info == null || !info.dtype().name().equals(t.getDtype())
                        || !java.util.Arrays.equals(info.shape(), t.getShapeList().stream().mapToLong(Long::longValue)
                                .toArray())) {
                    throw HubException.invalid("manifest_mismatch", "tensor '" + t.getName()
                            + "' in the file does not match the manifest");
                }
                scanFinite(tv, t.getName(), info.elementCount(), buf);
            }
        } catch (FedmergeException e) {
            discard(u);
            throw HubException.invalid("bad_file", "uploaded file is not a valid task vector: " + e.getMessage());
        } catch (HubException e) {
            discard(u);
            throw e;
        }
    }

    private static void scanFinite(Checkpoint tv, String tensor, long n, float[] buf) {
        for (long first = 0; first < n; first += buf.length) {
            int len = (int) Math.min(buf.length, n - first);
            tv.readFloats(tensor, first, len, buf);
            int bad = FloatCodec.firstNonFinite(buf, len);
            if (bad >= 0) {
                throw HubException.invalid("non_finite", "tensor '" + tensor + "' element " + (first + bad) + " is "
                        + buf[bad] + "; NaN/Inf deltas are refused");
            }
        }
    }
}
