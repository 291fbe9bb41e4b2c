package io.fedmerge.hub;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.junit.jupiter.api.Assumptions;

/** The PostgreSQL server ./run-tests starts on loopback (FEDMERGE_TEST_PG_URL), one fresh schema per test class. */
public final class Postgres {
    private Postgres() {}

    /** Hub arguments for a new schema on the test server; skips the test when there is no server. */
    public static String[] freshSchemaArgs() {
        String url = System.getenv("FEDMERGE_TEST_PG_URL");
        Assumptions.assumeTrue(url != null, "no PostgreSQL server for this run (FEDMERGE_TEST_PG_URL unset)");
        String schema = "t" + Long.toHexString(System.nanoTime());
        try (Connection c = DriverManager.getConnection(url)) {
            c.createStatement().execute("create schema " + schema);
        } catch (SQLException e) {
            throw new AssertionError("cannot create schema " + schema + " on " + url, e);
        }
        return new String[] {"--spring.datasource.url=" + url + "&currentSchema=" + schema,
            "--spring.flyway.schemas=" + schema};
    }
}
