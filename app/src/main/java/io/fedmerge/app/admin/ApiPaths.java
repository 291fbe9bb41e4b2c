package io.fedmerge.app.admin;

import io.fedmerge.core.FedmergeException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Values that go into the API's paths and queries. */
final class ApiPaths {
    private ApiPaths() {}

    /** An id as one path segment: ids are UUIDs or serials, so anything else is refused here, not sent. */
    static String segment(String id) {
        if (!id.matches("[A-Za-z0-9._-]{1,100}")) {
            throw new FedmergeException("'" + id + "' is not an id (letters, digits, '.', '_', '-')");
        }
        return id;
    }

    static String query(String name, String value) {
        return value == null ? "" : "&" + name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
