package io.fedmerge.hub.model;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointDigest;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.hub.AuditLog;
import io.fedmerge.hub.HubException;
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
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Base checkpoints the hub can read: registering one computes and stores its digest and manifest. */
@Service
public class BaseModelRegistry {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final JdbcClient db;
    private final AuditLog audit;

    BaseModelRegistry(JdbcClient db, AuditLog audit) {
        this.db = db;
        this.audit = audit;
    }

    public BaseModel register(String name, Path path, String actor) {
        if (name == null || name.isBlank()) {
            throw HubException.invalid("bad_name", "a base model needs a name");
        }
        if (byName(name).isPresent()) {
            throw new HubException(HubException.Kind.ALREADY_EXISTS, "name_taken",
                    "a base model named '" + name + "' is already registered");
        }
        List<BaseModel.TensorEntry> tensors = new ArrayList<>();
        String digest;
        try (Checkpoint c = Checkpoint.open(path.toAbsolutePath())) {
            for (String t : c.tensorNames()) {
                TensorInfo info = c.info(t);
                tensors.add(new BaseModel.TensorEntry(t, info.dtype().name(),
                        Arrays.stream(info.shape()).boxed().toList()));
            }
            digest = CheckpointDigest.of(c);
        } catch (FedmergeException e) {
            throw HubException.invalid("bad_base", "cannot register " + path + ": " + e.getMessage());
        }
        BaseModel m = new BaseModel(UUID.randomUUID().toString(), name, path.toAbsolutePath(), digest, tensors,
                Instant.now());
        db.sql("insert into base_model(id, name, path, digest, manifest, registered_at) values (?, ?, ?, ?, ?, ?)")
                .params(m.id(), name, m.path().toString(), digest, JSON.writeValueAsString(tensors),
                        Timestamp.from(m.registeredAt())).update();
        audit.record(actor, "base.register", name, "digest " + digest);
        return m;
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
