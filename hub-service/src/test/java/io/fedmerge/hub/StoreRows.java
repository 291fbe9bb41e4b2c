package io.fedmerge.hub;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;

/** Rows the stores under test refer to (a base model, a node), written straight into the schema. */
public final class StoreRows {
    private StoreRows() {}

    /** A registered base model; returns its id. */
    public static String baseModel(JdbcClient db) {
        String id = UUID.randomUUID().toString();
        db.sql("insert into base_model(id, name, path, digest, manifest, registered_at) values (?, ?, ?, ?, ?, ?)")
                .params(id, "base-" + id, "base", "ab".repeat(32), "[]", Timestamp.from(Instant.now())).update();
        return id;
    }

    /** An enrolled node; returns its id. */
    public static String node(JdbcClient db) {
        String id = UUID.randomUUID().toString();
        db.sql("insert into node(id, name, credential_hash, enrolled_at) values (?, ?, ?, ?)")
                .params(id, "node-" + id, id.replace("-", "") + "0000", Timestamp.from(Instant.now())).update();
        return id;
    }
}
