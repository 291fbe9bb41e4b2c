package io.fedmerge.hub.security;

import io.fedmerge.core.io.AtomicFiles;
import io.fedmerge.hub.HubProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The admin API's bootstrap credential: from configuration (fedmerge.hub.admin-token), or generated at first start,
 * stored hashed and handed over once — written to an owner-only file (fedmerge.hub.admin-token-file) or, without
 * one, printed on the console. That is the only time the hub ever shows a secret. With
 * fedmerge.hub.auth.bootstrap-token=false none is generated and none is accepted.
 */
@Component
public class AdminTokens {
    private static final Logger LOG = LoggerFactory.getLogger(AdminTokens.class);
    private final JdbcClient db;
    private final String configuredHash;
    private final String tokenFile;
    private final boolean enabled;

    AdminTokens(JdbcClient db, HubProperties properties, AuthProperties auth) {
        this.db = db;
        this.enabled = auth.bootstrapToken();
        String t = properties.adminToken();
        this.configuredHash = t == null || t.isBlank() ? null : Secrets.hash(t);
        this.tokenFile = properties.adminTokenFile();
    }

    @EventListener(ApplicationReadyEvent.class)
    void generateOnFirstStart() {
        if (!enabled || configuredHash != null || storedHash().isPresent()) {
            return;
        }
        String token = Secrets.newSecret("fma_");
        if (tokenFile != null && !tokenFile.isBlank()) {
            try {
                AtomicFiles.write(Path.of(tokenFile), token + "\n", true);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the generated admin token to " + tokenFile
                        + " (fedmerge.hub.admin-token-file); fix the path or its permissions and start again", e);
            }
            LOG.info("generated an admin token at first start; it was written to {} (owner-only) and is stored"
                    + " hashed", tokenFile);
        } else {
            // Printed to the console (not the log pattern) exactly once; only its hash is kept.
            System.out.println("\nfedmerge hub: generated admin token (shown once, store it now): " + token + "\n");
            LOG.info("generated an admin token at first start; it was printed on the console and is stored hashed");
        }
        db.sql("insert into admin_token(id, token_hash, created_at) values (1, ?, ?)")
                .params(Secrets.hash(token), Timestamp.from(Instant.now())).update();
    }

    private Optional<String> storedHash() {
        return db.sql("select token_hash from admin_token where id = 1").query(String.class).optional();
    }

    public boolean isValid(String token) {
        String expected = configuredHash != null ? configuredHash : storedHash().orElse(null);
        return enabled && expected != null && Secrets.matches(token, expected);
    }
}
