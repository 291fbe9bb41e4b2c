package io.fedmerge.hub.model;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointDigest;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.hub.AuditLog;
import io.fedmerge.hub.HubException;
import io.fedmerge.hub.Names;
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

    BaseModelRegistry(JdbcClient db, AuditLog audit, ModelsRoot root) {
        this.db = db;
        this.audit = audit;
        this.root = root;
    }

    /** Registers the checkpoint at {@code requestedPath} (inside the models root) under {@code name}. */
    public BaseModel register(String name, String requestedPath, String actor) {
        Names.check("base model", name);
        if (byName(name).isPresent()) {
            throw new HubException(HubException.Kind.ALREADY_EXISTS, "name_taken",
                    "a base model named '" + name + "' is already registered");
        }
        Path path = root.resolve(requestedPath);
        List<BaseModel.TensorEntry> tensors = new ArrayList<>();
        String digest;
        try (Checkpoint c = Checkpoint.open(path)) {
            for (String t : c.tensorNames()) {
                TensorInfo info = c.info(t);
                tensors.add(new BaseModel.TensorEntry(t, info.dtype().name(),
                        Arrays.stream(info.shape()).boxed().toList()));
            }
            digest = CheckpointDigest.of(c);
        } catch (FedmergeException e) {
            // The reader's message may quote bytes of the file (a header length is its first 8 bytes): it goes to
            // the hub log only, and the caller learns what kind of file is expected.
            LOG.warn("base model '{}' refused: {}", name, e.getMessage());
            throw HubException.invalid("not_a_checkpoint", "'" + root.display(path) + "' is not a safetensors"
                    + " checkpoint: expected a directory with model.safetensors, or model.safetensors.index.json and"
                    + " its shards, or one .safetensors file (the hub log says what was wrong)");
        }
        BaseModel m = new BaseModel(UUID.randomUUID().toString(), name, path, digest, tensors, Instant.now());
        db.sql("insert into base_model(id, name, path, digest, manifest, registered_at) values (?, ?, ?, ?, ?, ?)")
                .params(m.id(), name, m.path().toString(), digest, JSON.writeValueAsString(tensors),
                        Timestamp.from(m.registeredAt())).update();
        audit.record(actor, "base.register", name, "digest " + digest);
        return m;
    }

    /** Where a registered base is now, checked again against the models root (symlinks may have changed). */
    public Path location(BaseModel base) {
        return root.recheck(base.path());
    }

    /** A base's location relative to the models root, as the admin API shows it. */
    public String displayPath(BaseModel base) {
        return root.display(base.path());
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
        return new BaseModel(rs.getString("id"), rs.getString("name"), Path.of(rs.getString("path")),
                rs.getString("digest"), tensors, rs.getTimestamp("registered_at").toInstant());
    }
}
