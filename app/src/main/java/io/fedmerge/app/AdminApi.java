package io.fedmerge.app;

import io.fedmerge.core.FedmergeException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A small client of the hub's admin REST API, as an admin's script would use it. */
public final class AdminApi {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final HttpClient http;
    private final String base;
    private final String token;

    public AdminApi(String base, String token) {
        this(base, token, null);
    }

    /** @param tls trust for an HTTPS hub (null: the JDK's default trust store) */
    public AdminApi(String base, String token, javax.net.ssl.SSLContext tls) {
        this.base = base;
        this.token = token;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        this.http = (tls == null ? b : b.sslContext(tls)).build();
    }

    public JsonNode get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    /** A GET whose answer is not one JSON document (the audit export): its text. */
    public String getText(String path) {
        return exchange(HttpRequest.newBuilder(URI.create(base + path)).GET()).body();
    }

    public JsonNode post(String path, Object body) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body == null ? "{}" : JSON.writeValueAsString(body))));
    }

    /** PUT of raw bytes (application/octet-stream): one piece of a file upload. */
    public JsonNode put(String path, byte[] body, int length) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body, 0, length)));
    }

    public JsonNode delete(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).DELETE());
    }

    private JsonNode send(HttpRequest.Builder req) {
        HttpResponse<String> r = exchange(req);
        boolean json = r.headers().firstValue("Content-Type").orElse("").contains("json");
        return r.body().isEmpty() || !json ? JSON.createObjectNode() : JSON.readTree(r.body());
    }

    private HttpResponse<String> exchange(HttpRequest.Builder req) {
        try {
            HttpResponse<String> r = http.send(req.header("Authorization", "Bearer " + token)
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() >= 300) {
                boolean json = r.headers().firstValue("Content-Type").orElse("").contains("json");
                String detail = json ? JSON.readTree(r.body()).path("detail").asString() : r.body().strip();
                throw new FedmergeException("hub admin API " + r.statusCode() + ": " + detail);
            }
            return r;
        } catch (IOException e) {
            throw new FedmergeException("hub admin API unreachable at " + base + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FedmergeException("interrupted");
        }
    }

    /** Polls a round until it reaches {@code state}; a FAILED, CANCELLED or REJECTED one ends the wait with its reason. */
    public JsonNode awaitRound(String roundId, String state, Duration timeout) {
        // waiting for a terminal failure state is allowed: a set, not Set.of, which refuses the duplicate
        java.util.Set<String> stops = new java.util.HashSet<>(java.util.List.of("FAILED", "CANCELLED", "REJECTED"));
        stops.add(state);
        JsonNode round = awaitAny(roundId, stops, timeout);
        String now = round.path("state").asString();
        if (!now.equals(state)) {
            throw new FedmergeException("round " + roundId + " " + now + ": " + round.path("reason").asString());
        }
        return round;
    }

    /** Polls a round until it is in one of {@code states}, and returns it. */
    public JsonNode awaitAny(String roundId, java.util.Set<String> states, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode round = get("/api/v1/rounds/" + roundId).path("round");
            String now = round.path("state").asString();
            if (states.contains(now)) {
                return round;
            }
            if (System.nanoTime() > deadline) {
                throw new FedmergeException("round " + roundId + " still " + now + " after " + timeout.toSeconds()
                        + " s");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FedmergeException("interrupted");
            }
        }
    }

    /**
     * Provisions a node the way an operator would: mints a one-time enrollment token here, then enrolls over gRPC at
     * {@code grpcTarget} (plaintext) and returns the node's configuration.
     */
    public io.fedmerge.edge.EdgeConfig enrollNode(String grpcTarget, String nodeName) {
        String token = post("/api/v1/enrollment-tokens", java.util.Map.of("ttlMinutes", 10, "note", nodeName))
                .path("token").asString();
        try (io.fedmerge.edge.HubClient client = new io.fedmerge.edge.HubClient(grpcTarget, null)) {
            var r = client.enroll(token, nodeName);
            return new io.fedmerge.edge.EdgeConfig(grpcTarget, r.getNodeId(), nodeName, r.getCredential());
        }
    }
}
