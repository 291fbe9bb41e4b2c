package io.fedmerge.hub.model;

import io.fedmerge.core.io.FileHashes;
import io.fedmerge.hub.AuditLog;
import io.fedmerge.hub.HubException;
import io.fedmerge.hub.HubProperties;
import io.fedmerge.hub.storage.BlobStore;
import io.fedmerge.hub.storage.DiskSpace;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Service;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Base checkpoints uploaded through the admin API, so a hub whose disk no admin can reach (a pod) gets its bases:
 * the uploader declares every file with its size and SHA-256, sends each file in pieces that append at the offset
 * the hub reports (a cut connection resumes where the bytes stopped), and completes the upload, which checks every
 * hash, moves the files to their place in the blob store and registers the base. Opening the same upload again
 * (same name and files) resumes it.
 */
@Service
public class BaseUploads {
    /** A Hugging Face checkpoint is a flat directory of such names (config.json, model-00001-of-00004.safetensors). */
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern STORE_KEY = Pattern.compile("models/[A-Za-z0-9][A-Za-z0-9._/-]{0,300}");
    private static final int MAX_FILES = 1000;
    private static final int BUFFER = 1 << 20;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Logger LOG = LoggerFactory.getLogger(BaseUploads.class);
    private final JdbcClient db;
    private final BlobStore blobs;
    private final DiskSpace disk;
    private final AuditLog audit;
    private final BaseModelRegistry bases;
    private final long maxBytes;
    private final Duration sessionTtl;
    /**
     * Files a request is appending to, and uploads being completed, right now: a second request for the same one is
     * refused, not interleaved.
     */
    private final Set<String> writing = ConcurrentHashMap.newKeySet();

    BaseUploads(JdbcClient db, BlobStore blobs, DiskSpace disk, AuditLog audit, BaseModelRegistry bases,
            HubProperties properties) {
        this.db = db;
        this.blobs = blobs;
        this.disk = disk;
        this.audit = audit;
        this.bases = bases;
        this.maxBytes = properties.maxUploadBytes().toBytes();
        this.sessionTtl = properties.streams().sessionTtl();
    }

    /** Opens an upload of base {@code name}, or resumes the open one with the same files. */
    public BaseUpload open(String name, List<BaseUpload.File> declared, String actor) {
        bases.requireFreeName(name);
        List<BaseUpload.File> files = check(declared);
        Optional<BaseUpload> open = byName(name);
        if (open.isPresent()) {
            return resume(open.get(), files);
        }
        long total = files.stream().mapToLong(BaseUpload.File::bytes).sum();
        disk.requireRoomFor(total, "the upload of base '" + name + "'");
        BaseUpload u = new BaseUpload(UUID.randomUUID().toString(), name, files, actor, Instant.now());
        try {
            db.sql("insert into base_upload(id, name, files, created_by, created_at, updated_at)"
                    + " values (?, ?, ?, ?, ?, ?)").params(u.id(), name, JSON.writeValueAsString(files), actor,
                    Timestamp.from(u.createdAt()), Timestamp.from(u.createdAt())).update();
        } catch (DuplicateKeyException e) {
            // Another request opened it a moment ago.
            return resume(byName(name).orElseThrow(), files);
        }
        audit.record(actor, "base.upload.open", name, files.size() + " files, " + total + " bytes");
        return u;
    }

    private BaseUpload resume(BaseUpload open, List<BaseUpload.File> files) {
        if (!open.files().stream().map(BaseUpload.File::declared).toList().equals(files)) {
            throw new HubException(HubException.Kind.ALREADY_EXISTS, "upload_in_progress", "an upload of base '"
                    + open.name() + "' with other files is in progress (" + open.id() + "); complete or abort it");
        }
        return withProgress(open);
    }

    /**
     * Registers a base someone already put into the hub's store by other means ({@code aws s3 sync} to
     * {@code <bucket>/<store prefix>models/<name>/}): the files directly under {@code key}, which must lie under
     * {@code models/} — never the hub's own areas (contributions, published artifacts), so no round's output can
     * become a base. The files stay where they are and are never deleted by the hub.
     */
    public BaseModel adopt(String name, String key, String actor) {
        if (key == null || !STORE_KEY.matcher(key).matches() || key.contains("..") || key.contains("//")) {
            throw HubException.invalid("bad_store_key", "storeKey must be a directory under 'models/' in the hub's"
                    + " store, e.g. models/mistral-7b (letters, digits, '.', '_', '-' and '/')");
        }
        String dir = key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
        List<String> files;
        try {
            files = blobs.list(dir);
        } catch (IOException e) {
            throw HubException.unavailable("store_unavailable", "the hub's store cannot be listed right now ("
                    + e.getClass().getSimpleName() + "); retry later");
        }
        if (files.stream().noneMatch(f -> f.endsWith(".safetensors"))) {
            throw HubException.invalid("not_a_checkpoint", "no .safetensors file directly under '" + dir + "' in"
                    + " the hub's store; put the checkpoint's files there (no subdirectories)");
        }
        List<String> named = files.stream().filter(f -> FILE_NAME.matcher(f).matches()).toList();
        try {
            return bases.registerStored(UUID.randomUUID().toString(), name, dir, named, actor);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<BaseUpload.File> check(List<BaseUpload.File> declared) {
        if (declared == null || declared.isEmpty() || declared.size() > MAX_FILES) {
            throw HubException.invalid("bad_files", "declare the checkpoint's files (1 to " + MAX_FILES + "), each"
                    + " with its name, bytes and sha256");
        }
        Set<String> seen = new HashSet<>();
        long total = 0;
        boolean weights = false;
        List<BaseUpload.File> files = new ArrayList<>();
        for (BaseUpload.File f : declared) {
            if (f.file() == null || f.file().length() > 200 || !FILE_NAME.matcher(f.file()).matches()) {
                throw HubException.invalid("bad_files", "file names are 1-200 letters, digits, '.', '_' or '-' in"
                        + " one directory (no paths), starting with a letter or digit");
            }
            if (!seen.add(f.file())) {
                throw HubException.invalid("bad_files", "file '" + f.file() + "' is declared twice");
            }
            if (f.bytes() < 0 || f.sha256() == null || !SHA256.matcher(f.sha256()).matches()) {
                throw HubException.invalid("bad_files", "file '" + f.file() + "' needs its size in bytes and its"
                        + " SHA-256 as 64 lower-case hex digits");
            }
            total += f.bytes();
            weights |= f.file().endsWith(".safetensors");
            files.add(f.declared());
        }
        if (!weights) {
            throw HubException.invalid("bad_files", "no .safetensors file among the declared files: a base is a"
                    + " safetensors checkpoint");
        }
        if (total > maxBytes) {
            throw HubException.invalid("too_large", "the files declared add up to " + total + " bytes; this hub"
                    + " accepts at most " + maxBytes + " (fedmerge.hub.max-upload-bytes)");
        }
        return files;
    }

    public BaseUpload get(String id) {
        return withProgress(find(id));
    }

    /**
     * Appends the request body to {@code file} from {@code offset}, which must be the number of bytes the hub
     * already holds; returns the file with what it holds now. A body that would go past the declared size is
     * refused once it gets there (what came before stays).
     */
    public BaseUpload.File append(String id, String file, long offset, InputStream body) {
        BaseUpload u = find(id);
        BaseUpload.File f = u.files().stream().filter(x -> x.file().equals(file)).findFirst()
                .orElseThrow(() -> HubException.notFound("upload " + id + " declares no file '" + file + "'"));
        String key = key(id, file);
        if (!writing.add(key)) {
            throw HubException.precondition("busy", "file '" + file + "' is being sent by another request; wait"
                    + " for it, then ask the upload's status for where to resume");
        }
        try (BlobStore.Appender out = blobs.appender(key)) {
            if (offset != out.size()) {
                throw new HubException(HubException.Kind.FAILED_PRECONDITION, "wrong_offset", "file '" + file
                        + "' holds " + out.size() + " bytes; send it from offset " + out.size());
            }
            copy(body, out, f);
            return new BaseUpload.File(f.file(), f.bytes(), f.sha256(), out.size());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writing.remove(key);
            db.sql("update base_upload set updated_at = ? where id = ?").params(Timestamp.from(Instant.now()), id)
                    .update();
        }
    }

    private static void copy(InputStream body, BlobStore.Appender out, BaseUpload.File f) throws IOException {
        byte[] buffer = new byte[BUFFER];
        for (int n = body.read(buffer); n >= 0; n = body.read(buffer)) {
            if (out.size() + n > f.bytes()) {
                throw HubException.invalid("too_long", "file '" + f.file() + "' is declared as " + f.bytes()
                        + " bytes; this request goes past that (the hub keeps its first " + out.size() + ")");
            }
            out.append(ByteBuffer.wrap(buffer, 0, n));
        }
    }

    /**
     * Checks every file's size and SHA-256, moves the files to the base's place in the blob store and registers the
     * base. A file whose hash differs is deleted (send it again); the others stay. Nothing moves until every file
     * checked out.
     */
    public BaseModel complete(String id, String actor) {
        if (!writing.add(id)) {
            throw HubException.precondition("busy", "upload " + id + " is being completed by another request");
        }
        try {
            return completeAlone(id, actor);
        } finally {
            writing.remove(id);
        }
    }

    private BaseModel completeAlone(String id, String actor) {
        BaseUpload u = withProgress(find(id));
        for (BaseUpload.File f : u.files()) {
            if (!f.complete()) {
                throw HubException.precondition("incomplete", "file '" + f.file() + "' has " + f.received() + " of "
                        + f.bytes() + " bytes; send the rest from offset " + f.received());
            }
        }
        String baseId = UUID.randomUUID().toString();
        String prefix = "bases/" + baseId;
        List<BlobStore.Staged> staged = new ArrayList<>();
        try {
            // Staged: an S3 upload in progress is parts that only a staged copy reads as one file.
            for (BaseUpload.File f : u.files()) {
                staged.add(blobs.stage(key(id, f.file())));
                verify(u, f, staged.getLast().path());
            }
            for (int i = 0; i < staged.size(); i++) {
                String file = u.files().get(i).file();
                blobs.promote(key(id, file), prefix + "/" + file, staged.get(i).path());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            staged.forEach(BaseUploads::release);
        }
        return register(u, baseId, prefix, actor);
    }

    private BaseModel register(BaseUpload u, String baseId, String prefix, String actor) {
        try {
            try {
                BaseModel base = bases.registerStored(baseId, u.name(), prefix, u.files().stream()
                        .map(BaseUpload.File::file).toList(), actor);
                remove(u);
                return base;
            } catch (HubException e) {
                blobs.deleteTree(prefix + "/");
                remove(u);
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void verify(BaseUpload u, BaseUpload.File f, Path copy) throws IOException {
        String actual = FileHashes.sha256(copy);
        if (!actual.equals(f.sha256())) {
            blobs.delete(key(u.id(), f.file()));
            throw HubException.invalid("checksum_mismatch", "file '" + f.file() + "' arrived with SHA-256 " + actual
                    + ", not the declared " + f.sha256() + "; its bytes were deleted, send it again");
        }
    }

    private static void release(BlobStore.Staged staged) {
        try {
            staged.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes an upload and every byte it received. */
    public void abort(String id, String actor) {
        BaseUpload u = find(id);
        try {
            remove(u);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        audit.record(actor, "base.upload.abort", u.name(), null);
    }

    /**
     * Deletes uploads nobody has sent a byte to for the session TTL (fedmerge.hub.streams.session-ttl), so an
     * abandoned 14 GB base does not hold the store; every sweep of fedmerge.hub.streams.session-sweep-ms.
     */
    @Scheduled(fixedDelayString = "${fedmerge.hub.streams.session-sweep-ms:60000}",
            initialDelayString = "${fedmerge.hub.streams.session-sweep-ms:60000}")
    public void expireAbandoned() {
        Timestamp before = Timestamp.from(Instant.now().minus(sessionTtl));
        for (BaseUpload u : db.sql("select * from base_upload where updated_at < ?").param(before)
                .query(BaseUploads::row).list()) {
            try {
                remove(u);
                audit.record("hub", "base.upload.expire", u.name(), "upload " + u.id());
            } catch (IOException | RuntimeException e) {
                LOG.warn("base upload {} expired, but its bytes could not be deleted yet: {}", u.id(), e.getMessage());
            }
        }
    }

    private void remove(BaseUpload u) throws IOException {
        blobs.deleteTree("base-uploads/" + u.id() + "/");
        db.sql("delete from base_upload where id = ?").param(u.id()).update();
    }

    private BaseUpload withProgress(BaseUpload u) {
        List<BaseUpload.File> files = new ArrayList<>();
        for (BaseUpload.File f : u.files()) {
            long held;
            try {
                held = Math.max(0, blobs.size(key(u.id(), f.file())));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            files.add(new BaseUpload.File(f.file(), f.bytes(), f.sha256(), held));
        }
        return new BaseUpload(u.id(), u.name(), files, u.createdBy(), u.createdAt());
    }

    private BaseUpload find(String id) {
        return db.sql("select * from base_upload where id = ?").param(id).query(BaseUploads::row).optional()
                .orElseThrow(() -> HubException.notFound("no base upload " + id));
    }

    private Optional<BaseUpload> byName(String name) {
        return db.sql("select * from base_upload where name = ?").param(name).query(BaseUploads::row).optional();
    }

    private static BaseUpload row(java.sql.ResultSet rs, int n) throws java.sql.SQLException {
        return new BaseUpload(rs.getString("id"), rs.getString("name"),
                JSON.readValue(rs.getString("files"), new TypeReference<List<BaseUpload.File>>() {}),
                rs.getString("created_by"), rs.getTimestamp("created_at").toInstant());
    }

    private static String key(String id, String file) {
        return "base-uploads/" + id + "/" + file;
    }
}
