package io.fedmerge.hub.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.hub.AdminHttp;
import io.fedmerge.hub.TestHub;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The audit log read back through the admin API: who, what, to what, from where, when; filters, pages, export. */
class AuditApiTest {
    /** The seven tokens this test's admin minted (the fixture's own enrollment mints one as "test"). */
    static final String MINTED = "actor=bootstrap-token&action=token.create";
    @TempDir
    static Path dir;
    static TestHub hub;
    static AdminHttp admin;
    static Instant started;

    @BeforeAll
    static void start() {
        hub = TestHub.start(dir);
        admin = new AdminHttp(hub, TestHub.ADMIN_TOKEN);
        started = Instant.now();
        for (int i = 0; i < 7; i++) {
            assertThat(admin.post("/api/v1/enrollment-tokens", Map.of("ttlMinutes", 5, "note", "site " + i))
                    .status()).isEqualTo(201);
        }
        hub.enroll("audited-node");
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void entriesSayWhoDidWhatFromWhereAndWhen() {
        JsonNode page = admin.get("/api/v1/audit?" + MINTED + "&limit=3").body();
        assertThat(page.path("entries")).hasSize(3);
        JsonNode newest = page.path("entries").get(0);
        assertThat(newest.path("actor").asString()).isEqualTo("bootstrap-token");
        assertThat(newest.path("action").asString()).isEqualTo("token.create");
        assertThat(newest.path("source").asString()).isEqualTo("127.0.0.1");
        assertThat(Instant.parse(newest.path("at").asString())).isAfterOrEqualTo(started.minusSeconds(1));
        assertThat(newest.path("detail").asString()).startsWith("expires "); // never the token itself
        // a node's enrollment came in over gRPC: its address is recorded too
        JsonNode enroll = admin.get("/api/v1/audit?action=node.enroll").body().path("entries").get(0);
        assertThat(enroll.path("subject").asString()).isEqualTo("audited-node");
    }

    @Test
    void pagesWalkBackwardsWithoutGapsOrRepeats() {
        List<Long> ids = new ArrayList<>();
        String next = "";
        int pages = 0;
        do {
            JsonNode page = admin.get("/api/v1/audit?" + MINTED + "&limit=3" + next).body();
            page.path("entries").forEach(e -> ids.add(e.path("id").asLong()));
            next = page.path("next").isNull() || page.path("next").isMissingNode() ? null
                    : "&before=" + page.path("next").asLong();
            pages++;
        } while (next != null);
        assertThat(ids).hasSize(7).doesNotHaveDuplicates().isSortedAccordingTo((a, b) -> Long.compare(b, a));
        assertThat(pages).isEqualTo(3);
    }

    @Test
    void filtersNarrowByActorActionAndTime() {
        assertThat(admin.get("/api/v1/audit?actor=nobody").body().path("entries")).isEmpty();
        assertThat(admin.get("/api/v1/audit?since=" + Instant.now().plusSeconds(3600)).body().path("entries"))
                .isEmpty();
        assertThat(admin.get("/api/v1/audit?until=" + started.minusSeconds(3600)).body().path("entries")).isEmpty();
        assertThat(admin.get("/api/v1/audit?" + MINTED + "&limit=1000").body().path("entries")).hasSize(7);
        AdminHttp.Reply bad = admin.get("/api/v1/audit?since=yesterday");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.detail()).contains("ISO-8601");
        assertThat(admin.get("/api/v1/audit?limit=0").status()).isEqualTo(400);
    }

    @Test
    void theExportIsJsonLinesOldestFirst() throws Exception {
        AdminHttp.Raw export = admin.getRaw("/api/v1/audit/export?" + MINTED);
        assertThat(export.status()).isEqualTo(200);
        assertThat(export.contentType()).startsWith("application/x-ndjson");
        String[] lines = export.body().lines().toArray(String[]::new);
        assertThat(lines).hasSize(7);
        JsonMapper json = JsonMapper.builder().build();
        long previous = 0;
        for (String line : lines) {
            JsonNode e = json.readTree(line);
            assertThat(e.path("action").asString()).isEqualTo("token.create");
            assertThat(e.path("id").asLong()).isGreaterThan(previous);
            previous = e.path("id").asLong();
        }
        assertThat(new AdminHttp(hub, null).getRaw("/api/v1/audit/export").status()).isEqualTo(401);
        assertThat(new AdminHttp(hub, "wrong").getRaw("/api/v1/audit").status()).isEqualTo(401);
    }
}
