package io.fedmerge.app;

import io.fedmerge.hub.security.Secrets;
import io.fedmerge.hub.storage.LocalS3;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What makes hub processes replicas of one hub: a fresh schema on the test PostgreSQL server, one S3 bucket, one
 * admin token. Secrets and URLs with credentials go through the environment, never a command line.
 */
public record ReplicaSettings(Map<String, String> env, List<String> args) {
    public static ReplicaSettings on(String pgUrl, LocalS3 s3, String bucket) throws SQLException {
        String schema = bucket + Long.toHexString(System.nanoTime());
        try (Connection c = DriverManager.getConnection(pgUrl)) {
            c.createStatement().execute("create schema " + schema);
        }
        List<String> args = new ArrayList<>(List.of("--spring.flyway.schemas=" + schema));
        Map<String, String> env = new HashMap<>(Map.of(
                "SPRING_DATASOURCE_URL", pgUrl + "&currentSchema=" + schema,
                "FEDMERGE_HUB_ADMIN_TOKEN", Secrets.newSecret("fma_")));
        for (String a : s3.hubArgs(bucket)) {
            if (a.startsWith("--fedmerge.hub.storage.s3.secret-key=")) {
                env.put("FEDMERGE_HUB_STORAGE_S3_SECRETKEY", a.substring(a.indexOf('=') + 1));
            } else {
                args.add(a);
            }
        }
        return new ReplicaSettings(Map.copyOf(env), List.copyOf(args));
    }

    /** The PostgreSQL server of this test run (FEDMERGE_TEST_PG_URL, set by ./run-tests), or null. */
    public static String testPostgres() {
        String pg = System.getenv("FEDMERGE_TEST_PG_URL");
        return pg == null || pg.isBlank() ? null : pg;
    }
}
