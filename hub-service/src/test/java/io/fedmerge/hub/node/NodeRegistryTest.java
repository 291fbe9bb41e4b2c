package io.fedmerge.hub.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.hub.Databases;
import io.fedmerge.hub.HubException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/** NodeRegistry's SQL on both databases: tokens spent once under contention, secrets stored only as hashes. */
class NodeRegistryTest {
    static AnnotationConfigApplicationContext on(Databases.Kind kind) {
        return Databases.context(Databases.migrated(kind), NodeRegistry.class);
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void ofConcurrentEnrollmentsWithOneTokenExactlyOneSucceeds(Databases.Kind kind) throws Exception {
        try (var ctx = on(kind); var pool = Executors.newFixedThreadPool(8)) {
            NodeRegistry nodes = ctx.getBean(NodeRegistry.class);
            String token = nodes.issueToken(Duration.ofMinutes(5), "race", "test").token();
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<Boolean>> tries = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String name = "hospital-" + i;
                tries.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                        nodes.enroll(token, name);
                        return true;
                    } catch (HubException e) {
                        return false;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }, pool));
            }
            go.countDown();
            long enrolled = tries.stream().filter(CompletableFuture::join).count();
            assertThat(enrolled).isEqualTo(1);
            assertThat(nodes.nodes()).hasSize(1);
        }
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void secretsAreStoredOnlyAsHashes(Databases.Kind kind) {
        try (var ctx = on(kind)) {
            NodeRegistry nodes = ctx.getBean(NodeRegistry.class);
            String token = nodes.issueToken(Duration.ofMinutes(5), "hashes", "test").token();
            NodeRegistry.Enrollment e = nodes.enroll(token, "hospital-a");
            JdbcClient db = ctx.getBean(JdbcClient.class);
            List<String> stored = new ArrayList<>();
            stored.addAll(db.sql("select token_hash from enrollment_token").query(String.class).list());
            stored.addAll(db.sql("select credential_hash from node").query(String.class).list());
            stored.addAll(db.sql("select coalesce(detail, '') from audit_log").query(String.class).list());
            assertThat(String.join("\n", stored)).doesNotContain(token).doesNotContain(e.credential());
            assertThat(nodes.authenticate(e.credential())).hasValueSatisfying(n -> {
                assertThat(n.name()).isEqualTo("hospital-a");
            });
            assertThat(nodes.node(e.nodeId()).orElseThrow().lastSeen()).as("authenticating records last seen")
                    .isNotNull();
        }
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void spentExpiredAndRevokedTokensAndRevokedNodesAreRefused(Databases.Kind kind) {
        try (var ctx = on(kind)) {
            NodeRegistry nodes = ctx.getBean(NodeRegistry.class);
            String spent = nodes.issueToken(Duration.ofMinutes(5), "spent", "test").token();
            NodeRegistry.Enrollment e = nodes.enroll(spent, "hospital-a");
            assertThatThrownBy(() -> nodes.enroll(spent, "hospital-b")).hasMessageContaining("already used");
            String expired = nodes.issueToken(Duration.ofSeconds(-1), "expired", "test").token();
            assertThatThrownBy(() -> nodes.enroll(expired, "hospital-c")).hasMessageContaining("has expired");
            NodeRegistry.IssuedToken revoked = nodes.issueToken(Duration.ofMinutes(5), "revoked", "test");
            nodes.revokeToken(revoked.id(), "test");
            assertThatThrownBy(() -> nodes.enroll(revoked.token(), "hospital-d")).hasMessageContaining("revoked");
            String again = nodes.issueToken(Duration.ofMinutes(5), "name", "test").token();
            assertThatThrownBy(() -> nodes.enroll(again, "hospital-a")).hasMessageContaining("already enrolled");
            nodes.revoke(e.nodeId(), "test");
            assertThat(nodes.authenticate(e.credential())).isEmpty();
            assertThat(nodes.authenticate("fmn_forged")).isEmpty();
        }
    }
}
