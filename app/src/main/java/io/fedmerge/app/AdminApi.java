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
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final String token;

    public AdminApi(String base, String token) {
        this.base = base;
        this.token = token;
    }

    public JsonNode get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    public JsonNode post(String path, Object body) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body == null ? "{}" : JSON.writeValueAsString(body))));
    }

    private JsonNode send(HttpRequest.Builder req) {
        try {
            HttpResponse<String> r = http.send(req.header("Authorization", "Bearer " + token)
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode body = r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
            if (r.statusCode() >= 300) {
                throw new FedmergeException("hub admin API " + r.statusCode() + ": " + body.path("detail").asString());
            }
            return body;
        } catch (IOException e) {
            throw new FedmergeException("hub admin API unreachable at " + base + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FedmergeException("interrupted");
        }
    }
}
