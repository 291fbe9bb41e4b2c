package io.fedmerge.hub.health;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Whether the database can still write, and bringing the hub back once it can again. Embedded H2 closes itself
 * when a write fails (a full disk), after which every pooled connection is dead, and a read may still succeed on a
 * fresh one while writes fail: so a probe rewrites one row every {@code fedmerge.hub.database-probe-ms}. While it
 * fails, the pool's connections are evicted before each probe (the next ones open the database afresh) and this
 * indicator, part of readiness, reports DOWN with the error; the first probe that writes reports UP again.
 */
@Component("database")
class DatabaseRecovery implements HealthIndicator {
    private static final Logger LOG = LoggerFactory.getLogger(DatabaseRecovery.class);
    private final JdbcClient db;
    private final DataSource dataSource;
    private volatile String failure;

    DatabaseRecovery(JdbcClient db, DataSource dataSource) {
        this.db = db;
        this.dataSource = dataSource;
    }

    @Override
    public Health health() {
        String why = failure;
        return why == null ? Health.up().build() : Health.down().withDetail("error", why).build();
    }

    @Scheduled(fixedDelayString = "${fedmerge.hub.database-probe-ms:5000}")
    void probe() {
        if (failure != null) {
            evict();
        }
        try {
            db.sql("update write_probe set at = ? where id = 1").param(Timestamp.from(Instant.now())).update();
            if (failure != null) {
                LOG.info("the database writes again");
                failure = null;
            }
        } catch (RuntimeException e) {
            if (failure == null) {
                LOG.error("the database cannot write ({}); readiness is DOWN until it can", e.getMessage());
            }
            failure = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    private void evict() {
        try {
            if (dataSource.isWrapperFor(HikariDataSource.class)) {
                HikariDataSource pool = dataSource.unwrap(HikariDataSource.class);
                if (pool.getHikariPoolMXBean() != null) {
                    pool.getHikariPoolMXBean().softEvictConnections();
                }
            }
        } catch (SQLException e) {
            LOG.warn("cannot evict the pool's connections: {}", e.getMessage());
        }
    }
}
