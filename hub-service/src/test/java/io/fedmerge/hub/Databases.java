package io.fedmerge.hub;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.UUID;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Assumptions;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The hub's real schema (its Flyway migrations) on each database it runs on, for JDBC tests of its stores: embedded
 * H2 as the default hub has it, and PostgreSQL (a fresh schema on the server ./run-tests starts; skipped without
 * one). The stores run in a small Spring context with a transaction manager, so their {@code @Transactional}
 * methods behave as in the hub.
 */
public final class Databases {
    public enum Kind { H2, POSTGRESQL }

    private Databases() {}

    /** A migrated, empty database of this kind. */
    public static DataSource migrated(Kind kind) {
        DriverManagerDataSource ds;
        String schema = null;
        if (kind == Kind.H2) {
            ds = new DriverManagerDataSource("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "");
        } else {
            String url = System.getenv("FEDMERGE_TEST_PG_URL");
            Assumptions.assumeTrue(url != null, "no PostgreSQL server for this run (FEDMERGE_TEST_PG_URL unset)");
            schema = "t" + Long.toHexString(System.nanoTime());
            try (Connection c = DriverManager.getConnection(url)) {
                c.createStatement().execute("create schema " + schema);
            } catch (SQLException e) {
                throw new AssertionError("cannot create schema " + schema + " on " + url, e);
            }
            ds = new DriverManagerDataSource(url + "&currentSchema=" + schema);
        }
        var flyway = Flyway.configure().dataSource(ds).locations("classpath:db/migration");
        (schema == null ? flyway : flyway.schemas(schema)).load().migrate();
        return ds;
    }

    /** A context holding {@code stores} (and what they need: JdbcClient, transactions, the audit log). */
    public static AnnotationConfigApplicationContext context(DataSource ds, Class<?>... stores) {
        AnnotationConfigApplicationContext ctx = new AnnotationConfigApplicationContext();
        ctx.register(Transactions.class);
        ctx.registerBean(DataSource.class, () -> ds);
        ctx.registerBean(JdbcClient.class, () -> JdbcClient.create(ds));
        DataSourceTransactionManager transactions = new DataSourceTransactionManager(ds);
        ctx.registerBean(DataSourceTransactionManager.class, () -> transactions);
        ctx.registerBean(TransactionTemplate.class, () -> new TransactionTemplate(transactions));
        ctx.register(AuditLog.class);
        ctx.register(stores);
        ctx.refresh();
        return ctx;
    }

    @EnableTransactionManagement
    static class Transactions {}
}
