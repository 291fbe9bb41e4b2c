package io.fedmerge.hub.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.hub.AdminHttp;
import io.fedmerge.hub.Federation;
import io.fedmerge.hub.TestHub;
import io.fedmerge.hub.TestIdp;
import io.fedmerge.hub.node.NodeRegistry;
import io.fedmerge.hub.round.RoundRequest;
import io.fedmerge.hub.round.RoundService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A site admin of "north" manages north's enrollment tokens and nodes and reads the rounds north's nodes take part
 * in; south's records are invisible to it (answered as not found, so it cannot even learn they exist). Network
 * admins and auditors see every site.
 */
class SiteScopeTest {
    @TempDir
    static Path dir;
    static TestIdp idp;
    static TestHub hub;
    static AdminHttp network;
    static AdminHttp north;
    static AdminHttp south;
    static AdminHttp auditor;
    static NodeRegistry.Enrollment northNode;
    static NodeRegistry.Enrollment southNode;

    @BeforeAll
    static void start() {
        idp = new TestIdp();
        Federation models = new Federation(dir.resolve("models"), ModelShape.preset("tiny"), 0);
        hub = TestHub.start(dir.resolve("hub"), idp.hubSettings(models.modelsRootArg()));
        Federation.registerBase(hub);
        network = new AdminHttp(hub, idp.token("net.admin", null, "network-admin"));
        north = new AdminHttp(hub, idp.token("dr.north", "north", "site-admin"));
        south = new AdminHttp(hub, idp.token("dr.south", "south", "site-admin"));
        auditor = new AdminHttp(hub, idp.token("the.auditor", null, "auditor"));
        northNode = enroll(north.post("/api/v1/enrollment-tokens", Map.of("note", "north ward")), "north-1");
        southNode = enroll(network.post("/api/v1/enrollment-tokens", Map.of("site", "south")), "south-1");
    }

    private static NodeRegistry.Enrollment enroll(AdminHttp.Reply minted, String name) {
        assertThat(minted.status()).isEqualTo(201);
        return hub.bean(NodeRegistry.class).enroll(minted.body().path("token").asString(), name);
    }

    @AfterAll
    static void stop() {
        hub.close();
        idp.close();
    }

    @Test
    void aSiteAdminsTokenAndItsNodeBelongToItsSite() {
        JsonNode nodes = network.get("/api/v1/nodes").body();
        assertThat(nodes.findValuesAsString("site")).contains("north", "south");
        assertThat(names(north.get("/api/v1/nodes").body())).containsExactly("north-1");
        assertThat(names(south.get("/api/v1/nodes").body())).containsExactly("south-1");
        assertThat(names(auditor.get("/api/v1/nodes").body())).contains("north-1", "south-1");
        assertThat(north.get("/api/v1/enrollment-tokens").body().findValuesAsString("site")).containsOnly("north");
    }

    @Test
    void aSiteAdminCannotMintForAnotherSite() {
        AdminHttp.Reply r = north.post("/api/v1/enrollment-tokens", Map.of("site", "south"));
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.detail()).contains("its own site only");
    }

    @Test
    void anotherSitesNodeTokenAndCertificatesAreNotFound() {
        String southToken = network.post("/api/v1/enrollment-tokens", Map.of("site", "south")).body().path("id")
                .asString();
        assertThat(north.delete("/api/v1/enrollment-tokens/" + southToken).status()).isEqualTo(404);
        assertThat(north.delete("/api/v1/nodes/" + southNode.nodeId()).status()).isEqualTo(404);
        assertThat(north.get("/api/v1/nodes/" + southNode.nodeId() + "/certificates").status()).isEqualTo(404);
        assertThat(hub.bean(NodeRegistry.class).node(southNode.nodeId()).orElseThrow().revoked()).isFalse();
        assertThat(hub.bean(NodeRegistry.class).token(southToken).orElseThrow().revoked()).isFalse();
        assertThat(south.delete("/api/v1/enrollment-tokens/" + southToken).status()).isEqualTo(204);
    }

    @Test
    void aSiteAdminRevokesItsOwnNodeAndTheAuditLogNamesIt() {
        NodeRegistry.Enrollment spare = enroll(north.post("/api/v1/enrollment-tokens", Map.of()), "north-spare");
        assertThat(north.delete("/api/v1/nodes/" + spare.nodeId()).status()).isEqualTo(204);
        assertThat(hub.bean(NodeRegistry.class).node(spare.nodeId()).orElseThrow().revoked()).isTrue();
        JsonNode entry = auditor.get("/api/v1/audit?action=node.revoke&subject=" + spare.nodeId()).body()
                .path("entries").get(0);
        assertThat(entry.path("actor").asString()).isEqualTo("dr.north");
    }

    @Test
    void aSiteAdminSeesTheRoundsItsNodesTakePartIn() {
        RoundService rounds = hub.bean(RoundService.class);
        String southOnly = rounds.create(new RoundRequest("base", "task_arithmetic", Map.of(), Map.of("weight", 1),
                List.of("south-1"), 1, null), "test").id();
        String everyone = Federation.openRound(hub);
        assertThat(ids(north.get("/api/v1/rounds").body())).contains(everyone).doesNotContain(southOnly);
        assertThat(ids(south.get("/api/v1/rounds").body())).contains(everyone, southOnly);
        assertThat(north.get("/api/v1/rounds/" + southOnly).status()).isEqualTo(404);
        assertThat(north.get("/api/v1/rounds/" + southOnly + "/artifact").status()).isEqualTo(404);
        assertThat(south.get("/api/v1/rounds/" + southOnly).status()).isEqualTo(200);
        assertThat(ids(auditor.get("/api/v1/rounds").body())).contains(everyone, southOnly);
    }

    @Test
    void aRoundsEventStreamEndsWhenTheAccessTokenThatOpenedItExpires() throws Exception {
        String round = Federation.openRound(hub); // stays OPEN: only the token's expiry can end the stream
        String shortLived = idp.token(TestIdp.ISSUER_ID, "dr.north", TestIdp.AUDIENCE,
                Map.of("roles", List.of("site-admin"), "site", "north"), 3);
        StringBuffer received = new StringBuffer();
        long t0 = System.nanoTime();
        HttpResponse<Void> ended = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + hub.httpPort() + "/api/v1/rounds/" + round + "/events"))
                .header("Authorization", "Bearer " + shortLived).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofByteArrayConsumer(b -> b.ifPresent(
                        chunk -> received.append(new String(chunk, StandardCharsets.UTF_8)))));
        assertThat(ended.statusCode()).isEqualTo(200);
        assertThat(received.toString()).contains("event:round", "\"state\":\"OPEN\"");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));
        assertThat(hub.bean(RoundService.class).get(round).state().terminal()).isFalse();
    }

    private static List<String> names(JsonNode nodes) {
        return nodes.findValuesAsString("name");
    }

    private static List<String> ids(JsonNode rounds) {
        return rounds.findValues("round").stream().map(r -> r.path("id").asString()).toList();
    }
}
