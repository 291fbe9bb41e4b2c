package io.fedmerge.hub.security;

import io.fedmerge.hub.TestHub;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Every operation of the hub's OpenAPI document, with its path variables filled in, and ways to misspell it. */
final class AdminEndpoints {
    record Endpoint(String method, String path) {
        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    /** 200-399: a request that was served (or sent somewhere else), which no misspelling may ever get. */
    static final List<Integer> SUCCESS_OR_REDIRECT = java.util.stream.IntStream.range(200, 400).boxed().toList();

    private AdminEndpoints() {}

    static List<Endpoint> fromOpenApi(TestHub hub) {
        RawHttp.Response doc = RawHttp.send(hub.httpPort(), "GET", "/v3/api-docs", TestHub.ADMIN_TOKEN);
        if (doc.status() != 200) {
            throw new AssertionError("OpenAPI document answered " + doc.status());
        }
        JsonNode paths = JsonMapper.builder().build().readTree(doc.body()).path("paths");
        List<Endpoint> all = new ArrayList<>();
        for (Map.Entry<String, JsonNode> p : paths.properties()) {
            for (Map.Entry<String, JsonNode> op : p.getValue().properties()) {
                all.add(new Endpoint(op.getKey().toUpperCase(Locale.ROOT),
                        p.getKey().replaceAll("\\{[^}]+}", "0f4c7e1a-53b8-4d3e-9a6e-2b9c1d7e8f00")));
            }
        }
        return all;
    }

    /** Who refuses a spelling with 400: the hub's firewall, the servlet container before it, or nobody (401/403/404). */
    enum RejectedBy { FIREWALL, CONTAINER, NONE }

    /** A named misspelling of a canonical path. */
    record Spelling(String name, String path, RejectedBy rejectedBy) {}

    /** The spellings the attack suite sends for one canonical path (each differs from it). */
    static List<Spelling> spellings(String canonical) {
        List<Spelling> s = new ArrayList<>();
        s.add(new Spelling("%61pi", canonical.replaceFirst("/api/", "/%61pi/"), RejectedBy.FIREWALL));
        s.add(new Spelling("ap%69", canonical.replaceFirst("/api/", "/ap%69/"), RejectedBy.FIREWALL));
        s.add(new Spelling("%2561pi (double encoding)", canonical.replaceFirst("/api/", "/%2561pi/"), RejectedBy.FIREWALL));
        String[] segments = canonical.substring(1).split("/");
        for (int i = 0; i < segments.length; i++) {
            String[] copy = segments.clone();
            copy[i] = copy[i] + ";x";
            s.add(new Spelling(";x on segment " + i, "/" + String.join("/", copy), RejectedBy.FIREWALL));
        }
        s.add(new Spelling("leading //", "/" + canonical, RejectedBy.FIREWALL));
        s.add(new Spelling("inner //", canonical.replaceFirst("/v1/", "//v1/"), RejectedBy.FIREWALL));
        s.add(new Spelling("/./", canonical.replaceFirst("/v1/", "/./v1/"), RejectedBy.FIREWALL));
        s.add(new Spelling("/x/../", canonical.replaceFirst("/v1/", "/x/../v1/"), RejectedBy.FIREWALL));
        s.add(new Spelling("%2e%2e", canonical.replaceFirst("/v1/", "/x/%2e%2e/v1/"), RejectedBy.FIREWALL));
        s.add(new Spelling("%2F", canonical.replaceFirst("/v1/", "%2Fv1/"), RejectedBy.CONTAINER));
        s.add(new Spelling("trailing ;", canonical + ";", RejectedBy.FIREWALL));
        s.add(new Spelling("upper case API", canonical.replaceFirst("/api/", "/API/"), RejectedBy.NONE));
        s.add(new Spelling("upper case V1", canonical.replaceFirst("/v1/", "/V1/"), RejectedBy.NONE));
        s.add(new Spelling("trailing /", canonical + "/", RejectedBy.NONE));
        return s;
    }
}
