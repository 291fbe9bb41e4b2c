package io.fedmerge.edge.cli;

import io.fedmerge.core.FedmergeException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import tools.jackson.databind.json.JsonMapper;

/** Creates a one-time enrollment token through the hub's admin API (operator-provisioned nodes, compose demos). */
final class TokenMint {
    private TokenMint() {}

    static String mint(String adminUrl, String adminToken, String note) {
        if (adminUrl == null || adminToken == null) {
            throw new FedmergeException("no enrollment token: give --token-file (or set FEDMERGE_ENROLL_TOKEN), or"
                    + " --admin-url with --admin-token-file (or FEDMERGE_ADMIN_TOKEN) to mint one");
        }
        JsonMapper json = JsonMapper.builder().build();
        String body = json.writeValueAsString(java.util.Map.of("ttlMinutes", 10, "note", note));
        HttpRequest req = HttpRequest.newBuilder(URI.create(adminUrl + "/api/v1/enrollment-tokens"))
                .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 201) {
                throw new FedmergeException("admin API refused to create an enrollment token (" + r.statusCode()
                        + "): " + json.readTree(r.body()).path("detail").asString());
            }
            return json.readTree(r.body()).path("token").asString();
        } catch (IOException e) {
            throw new FedmergeException("admin API unreachable at " + adminUrl + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FedmergeException("interrupted");
        }
    }
}
