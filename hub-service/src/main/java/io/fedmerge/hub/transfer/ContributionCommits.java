package io.fedmerge.hub.transfer;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.FileHashes;
import io.fedmerge.core.io.TaskVectorFormat;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.taskvector.SparseDeltaDecoder;
import io.fedmerge.core.taskvector.XorDeltaDecoder;
import io.fedmerge.core.tensor.FloatCodec;
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
import io.fedmerge.proto.v1.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Semaphore;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Turns a complete upload into a contribution. The slow checks (SHA-256 of the stored bytes, safetensors parse,
 * manifest and base match, a NaN/Inf scan of every value) run without any lock; the bytes then move to their
 * contribution key; and only then, in one short transaction holding the round's row, is the round checked OPEN and
 * the upload marked COMMITTED. The start of a merge takes the same row, so on any number of replicas a contribution
 * either is in the merge's snapshot or is refused. Nothing unverified ever counts.
 */
@Service
class ContributionCommits {
    private final UploadStore uploads;
    private final UploadService sessions;
    private final RoundStore rounds;
    private final BaseModelRegistry bases;
    private final BlobStore blobs;
    private final HubMetrics metrics;
    private final AuditLog audit;
    private final TransactionTemplate tx;
    private final DiskSpace disk;
    private final Path decodeDir;
    /** Bounds the verifications running at once: each holds decode and scan buffers (tens of MB). */
    private final Semaphore verifying;

    ContributionCommits(UploadStore uploads, UploadService sessions, RoundStore rounds, BaseModelRegistry bases,
            BlobStore blobs, HubMetrics metrics, AuditLog audit, TransactionTemplate tx, DiskSpace disk,
            HubProperties properties) {
        this.disk = disk;
        this.decodeDir = properties.dataDir().resolve("work").resolve("decode").toAbsolutePath();
        this.verifying = new Semaphore(properties.commitsAtOnce(), true);
        this.uploads = uploads;
        this.sessions = sessions;
        this.rounds = rounds;
        this.bases = bases;
        this.blobs = blobs;
        this.metrics = metrics;
        this.audit = audit;
        this.tx = tx;
    }

    Upload commit(Node node, String uploadId, String sha256) {
        Upload u = uploads.find(uploadId).orElseThrow(() -> HubException.notFound("no upload " + uploadId));
        if (!u.nodeId().equals(node.id())) {
            throw HubException.denied("upload " + uploadId + " belongs to another node");
        }
        if (u.state() == Upload.State.COMMITTED) {
            return u;
        }
        try {
            return verifyAndCommit(node, u, sha256);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot commit upload " + u.id() + ": " + e.getMessage(), e);
        } catch (HubException e) {
            metrics.contributionRejected(e.reason());
            throw e;
        }
    }

    private Upload verifyAndCommit(Node node, Upload u, String sha256) throws IOException {
        Round round = sessions.openRoundFor(node, u.roundId());
        if (!u.sha256().equals(sha256)) {
            throw HubException.invalid("sha_mismatch", "commit names SHA-256 " + sha256 + " but the upload was"
                    + " opened for " + u.sha256());
        }
        long have = sessions.committedOffset(u);
        if (have != u.totalBytes()) {
            throw HubException.precondition("incomplete", "upload holds " + have + " of " + u.totalBytes()
                    + " bytes; send the rest from offset " + have);
        }
        awaitTurn(u);
        // A local copy for the checks (the store's own file on a filesystem store), released once stored.
        try (BlobStore.Staged staged = blobs.stage(u.partialKey())) {
            String actual = FileHashes.sha256(staged.path());
            if (!actual.equals(u.sha256())) {
                discard(u);
                throw new HubException(HubException.Kind.DATA_LOSS, "bad_checksum", "received bytes have SHA-256 "
                        + actual + ", not the declared " + u.sha256() + "; the upload was discarded, send it again");
            }
            BaseModel base = bases.require(round.baseModelId());
            if (u.isEncoded()) {
                commitDecoded(u, staged.path(), base);
            } else {
                verifyContent(u, staged.path(), base);
                blobs.promote(u.partialKey(), u.contributionKey(), staged.path());
            }
        } finally {
            verifying.release();
        }
        List<Upload> replaced = new ArrayList<>();
        Upload committed;
        try {
            committed = tx.execute(status -> commitInRound(u, replaced));
        } catch (HubException e) {
            blobs.delete(u.contributionKey()); // verified, but it counts for nothing: the round moved on
            throw e;
        }
        for (Upload previous : replaced) {
            // The round was OPEN, so no merge snapshot can hold the replaced contribution.
            blobs.delete(previous.blobKey());
            audit.record("node:" + node.id(), "contribution.replace", round.id(), "upload " + previous.id()
                    + " replaced by " + u.id());
        }
        metrics.contributionCommitted(Duration.between(u.createdAt(), Instant.now()));
        audit.record("node:" + node.id(), "contribution.commit", round.id(), "upload " + u.id() + ", sha256 "
                + u.sha256() + lossiness(u));
        return committed;
    }

    /** ", sparsified (magnitude, density 0.1)" for a contribution the hospital thinned, else nothing. */
    private static String lossiness(Upload u) {
        if (!ManifestCheck.KIND_SPARSE_DELTA.equals(u.manifest().getKind())) {
            return "";
        }
        return ", sparsified (" + u.manifest().getProvenance().getMethod() + ", density "
                + u.manifest().getProvenance().getDensity() + ")";
    }

    /** Waits for one of the verification slots (hospitals committing at the same moment queue, in order). */
    private void awaitTurn(Upload u) {
        try {
            verifying.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw HubException.unavailable("shutting_down", "the hub stopped before it could verify upload " + u.id()
                    + "; commit it again");
        }
    }

    /** Runs in one transaction holding the round's row lock. */
    private Upload commitInRound(Upload u, List<Upload> replaced) {
        RoundState state = rounds.lockState(u.roundId()).orElseThrow(() -> HubException.notFound("no round "
                + u.roundId()));
        if (state != RoundState.OPEN) {
            throw HubException.precondition("round_closed", "round " + u.roundId() + " is " + state + "; it no"
                    + " longer accepts contributions (the upload is kept only until it expires)");
        }
        if (!uploads.markCommitted(u.id(), u.contributionKey())) {
            Upload now = uploads.get(u.id());
            if (now.state() == Upload.State.COMMITTED) {
                return now; // a concurrent commit of the same upload won
            }
            throw HubException.precondition("not_uploading", "upload " + u.id() + " is " + now.state()
                    + "; call BeginUpload again");
        }
        for (Upload previous : uploads.live(u.roundId(), u.nodeId())) {
            if (!previous.id().equals(u.id()) && previous.state() == Upload.State.COMMITTED
                    && uploads.supersede(previous.id())) {
                replaced.add(previous);
            }
        }
        return uploads.get(u.id());
    }

    private void discard(Upload u) {
        uploads.endIfUploading(u.id(), Upload.State.SUPERSEDED);
        sessions.deletePartial(u);
    }

    /**
     * An encoded contribution is decoded here, where the base is, into the float32 task vector it stands for (an
     * XOR-coded one byte for byte what the edge's TaskVectorBuilder would have sent, a sparse one with zeros where
     * the hospital dropped values), which is then checked and stored like one.
     */
    private void commitDecoded(Upload u, Path encoded, BaseModel base) throws IOException {
        long decodedBytes = u.manifest().getTensorsList().stream().mapToLong(TensorSpec::getByteLength).sum();
        disk.requireRoomFor(decodedBytes, "decoding upload " + u.id());
        Files.createDirectories(decodeDir);
        Path decoded = decodeDir.resolve(u.id() + ".safetensors");
        try (Checkpoint b = Checkpoint.open(bases.location(base))) {
            if (ManifestCheck.KIND_SPARSE_DELTA.equals(u.manifest().getKind())) {
                new SparseDeltaDecoder().decode(b, encoded, decoded);
            } else {
                new XorDeltaDecoder().decode(b, encoded, decoded);
            }
        } catch (FedmergeException e) {
            discard(u);
            throw HubException.invalid("bad_file", e.getMessage());
        }
        try {
            verifyContent(u, decoded, base);
            blobs.put(u.contributionKey(), decoded);
            blobs.delete(u.partialKey());
        } finally {
            Files.deleteIfExists(decoded);
        }
    }

    /** Parses the file as safetensors, matches it to the manifest and base, and scans every value for NaN/Inf. */
    private void verifyContent(Upload u, Path file, BaseModel base) {
        try (Checkpoint tv = Checkpoint.open(file)) {
            // An adapter file is PEFT's own (no fedmerge metadata): its base was checked by digest and shapes at
            // BeginUpload; a task vector also names its base inside the file.
            if (!ManifestCheck.isAdapter(u.manifest())
                    && !base.digest().equals(tv.metadata().get(TaskVectorFormat.BASE_DIGEST))) {
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
                if (info == null || !info.dtype().name().equals(t.getDtype()) || !Arrays.equals(info.shape(),
                        t.getShapeList().stream().mapToLong(Long::longValue).toArray())) {
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
