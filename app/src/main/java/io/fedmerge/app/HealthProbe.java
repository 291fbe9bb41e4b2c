package io.fedmerge.app;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Container health check without curl in the image: exit 0 when the URL answers 200 with status UP. */
public final class HealthProbe {
    private HealthProbe() {}

    public static void main(String[] args) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(args[0]))
                .timeout(Duration.ofSeconds(4)).build(), HttpResponse.BodyHandlers.ofString());
        System.exit(r.statusCode() == 200 && r.body().contains("\"UP\"") ? 0 : 1);
    }
}
