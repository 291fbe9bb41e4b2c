package io.fedmerge.hub.model;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointDigest;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.hub.AuditLog;
import io.fedmerge.hub.HubException;
import io.fedmerge.hub.Names;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Base checkpoints the hub can read: registering one computes and stores its digest and manifest. */
@Service
public class BaseModelRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(BaseModelRegistry.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final JdbcClient db;
    private final AuditLog audit;
    private final ModelsRoot root;
    private final BaseCache cache;

    BaseModelRegistry(JdbcClient db, AuditLog audit, ModelsRoot root, BaseCache cache) {
        this.db = db;
        this.audit = audit;
        this.root = root;
        this.cache = cache;
    }

    /** Registers the checkpoint at {@code requestedPath} (inside the models root) under {@code name}. */
    public BaseModel register(String name, String requestedPath, String actor) {
        requireFreeName(name);
        Path path = root.resolve(requestedPath);
        Manifest manifest = read(name, path, "'" + root.display(path) + "'");
        return insert(new BaseModel(UUID.randomUUID().toString(), name, path, manifest.digest(), manifest.tensors(),
                Instant.now()), actor);
    }

    /**
     * Registers a base uploaded into the blob store: {@code files} under {@code prefix}. Refused, and nothing kept
     * registered, when they are not a safetensors checkpoint.
     */
    BaseModel registerStored(String id, String name, String prefix, List<String> files, String actor)
            throws IOException {
        requireFreeName(name);
        Path dir = cache.directory(id, prefix, files);
        Manifest manifest;
        try {
            manifest = read(name, dir, "the uploaded files");
        } catch (HubException e) {
            cache.evict(id);
            throw e;
        }
        return insert(new BaseModel(id, name, Path.of(prefix), manifest.digest(), manifest.tensors(), Instant.now(),
                files), actor);
    }

    void requireFreeName(String name) {
        Names.check("base model", name);
        if (byName(name).isPresent()) {
            throw new HubException(HubException.Kind.ALREADY_EXISTS, "name_taken",
                    "a base model named '" + name + "' is already registered");
        }
    }

    private record Manifest(String digest, List<BaseModel.TensorEntry> tensors) {}

    private static Manifest read(String name, Path path, String shown) {
        List<BaseModel.TensorEntry> tensors = new ArrayList<>();
        try (Checkpoint c = Checkpoint.open(path)) {
            for (String t : c.tensorNames()) {
                TensorInfo info = c.info(t);
                tensors.add(new BaseModel.TensorEntry(t, info.dtype().name(),
                        Arrays.stream(info.shape()).boxed().toList()));
            }
            return new Manifest(CheckpointDigest.of(c), tensors);
        } catch (FedmergeException e) {
            // The reader's message may quote bytes of the file (a header length is its first 8 bytes): it goes to
            // the hub log only, and the caller learns what kind of file is expected.
            LOG.warn("base model '{}' refused: {}", name, e.getMessage());
            throw HubException.invalid("not_a_checkpoint", shown + " is not a safetensors checkpoint: expected a"
                    + " directory with model.safetensors, or model.safetensors.index.json and its shards, or one"
                    + " .safetensors file (the hub log says what was wrong)");
        }
    }

    private BaseModel insert(BaseModel m, String actor) {
        db.sql("insert into base_model(id, name, path, digest, manifest, registered_at, stored_files)"
                + " values (?, ?, ?, ?, ?, ?, ?)")
                .params(m.id(), m.name(), m.path().toString(), m.digest(), JSON.writeValueAsString(m.tensors()),
                        Timestamp.from(m.registeredAt()), m.stored() ? JSON.writeValueAsString(m.storedFiles()) : null)
                .update();
        audit.record(actor, "base.register", m.name(), (m.stored() ? "uploaded, " : "") + "digest " + m.digest());
        return m;
    }

    /**
     * Where a registered base is now as a local checkpoint: under the models root, checked again (symlinks may have
     * changed), or, for an uploaded base, its local directory (made from the blob store on first use).
     */
    public Path location(BaseModel base) {
        if (!base.stored()) {
            return root.recheck(base.path());
        }
        try {
            return cache.directory(base.id(), base.path().toString(), base.storedFiles());
        } catch (IOException e) {
            throw HubException.unavailable("base_unavailable", "uploaded base '" + base.name() + "' cannot be"
                    + " read from the blob store right now (" + e.getClass().getSimpleName() + "); retry later");
        }
    }

    /** A base's location relative to the models root, as the admin API shows it. */
    public String displayPath(BaseModel base) {
        return base.stored() ? "(uploaded)" : root.display(base.path());
    }

    /** The base a round merges on; its absence means the database was edited by hand. */
    public BaseModel require(String id) {
        return byId(id).orElseThrow(() -> HubException.precondition("unknown_base", "base model " + id
                + " is not registered on this hub (was it deleted from the database?)"));
    }

    public List<BaseModel> list() {
        return db.sql("select * from base_model order by name").query(BaseModelRegistry::row).list();
    }

    public Optional<BaseModel> byName(String name) {
        return db.sql("select * from base_model where name = ?").param(name).query(BaseModelRegistry::row).optional();
    }

    public Optional<BaseModel> byId(String id) {
        return db.sql("select * from base_model where id = ?").param(id).query(BaseModelRegistry::row).optional();
    }

    private static BaseModel row(ResultSet rs, int n) throws SQLException {
        List<BaseModel.TensorEntry> tensors = JSON.readValue(rs.getString("manifest"), new TypeReference<>() {});
        String stored = rs.getString("stored_files");
        return new BaseModel(rs.getString("id"), rs.getString("name"), Path.of(rs.getString("path")),
                rs.getString("digest"), tensors, rs.getTimestamp("registered_at").toInstant(),
                stored == null ? List.of() : JSON.readValue(stored, new TypeReference<List<String>>() {}));
    }
}
