package io.fedmerge.hub.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.io.FileTrees;
import static io.fedmerge.hub.security.AdminEndpoints.SUCCESS_OR_REDIRECT;

import io.fedmerge.hub.TestHub;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Generated misspellings of admin paths: random segments get a letter percent-encoded (in either hex case, once or
 * twice), a matrix parameter, a doubled slash, a dot segment, a detour through a sibling, or a change of case. Any
 * spelling that differs from the canonical path is never served, with or without the token.
 */
class AdminPathSpellingProperties {
    static Path dir;
    static TestHub hub;
    static List<AdminEndpoints.Endpoint> endpoints;

    @BeforeContainer
    static void start() throws Exception {
        dir = Files.createTempDirectory("fedmerge-spelling");
        hub = TestHub.start(dir);
        endpoints = AdminEndpoints.fromOpenApi(hub);
    }

    @AfterContainer
    static void stop() {
        hub.close();
        FileTrees.deleteRecursively(dir);
    }

    record Mangle(int kind, int segment, int position, boolean upperHex) {}

    @Provide
    Arbitrary<List<Mangle>> mangles() {
        return Combinators.combine(Arbitraries.integers().between(0, 8), Arbitraries.integers().between(0, 9),
                Arbitraries.integers().between(0, 40), Arbitraries.of(true, false)).as(Mangle::new).list()
                .ofMinSize(1).ofMaxSize(3);
    }

    @Provide
    Arbitrary<Integer> endpointIndex() {
        return Arbitraries.integers().between(0, 1000);
    }

    @Property(tries = 300)
    void aMisspelledAdminPathIsNeverServed(@ForAll("endpointIndex") int index,
            @ForAll("mangles") List<Mangle> mangles) {
        AdminEndpoints.Endpoint e = endpoints.get(index % endpoints.size());
        String spelled = e.path();
        for (Mangle m : mangles) {
            spelled = apply(spelled, m);
        }
        if (spelled.equals(e.path())) {
            return; // the mangles cancelled out: this is the canonical path
        }
        for (String token : new String[] {null, "wrong", TestHub.ADMIN_TOKEN}) {
            int status = RawHttp.send(hub.httpPort(), e.method(), spelled, token).status();
            assertThat(status).as("%s %s with token %s", e.method(), spelled, token).isNotIn(SUCCESS_OR_REDIRECT);
        }
    }

    static String apply(String path, Mangle m) {
        String[] seg = path.substring(1).split("/", -1);
        int i = m.segment() % seg.length;
        String s = seg[i];
        switch (m.kind()) {
            case 0, 1 -> {
                int letter = firstLetterFrom(s, m.position());
                if (letter < 0) {
                    return path;
                }
                String hex = String.format(m.upperHex() ? "%02X" : "%02x", (int) s.charAt(letter));
                String encoded = m.kind() == 0 ? "%" + hex : "%25" + hex;
                seg[i] = s.substring(0, letter) + encoded + s.substring(letter + 1);
            }
            case 2 -> seg[i] = s + ";" + (m.upperHex() ? "x=1" : "");
            case 3 -> seg[i] = s + "/";
            case 4 -> seg[i] = ".." .equals(s) ? s : "./" + s;
            case 5 -> seg[i] = "x/../" + s;
            case 6 -> seg[i] = "%2e%2e/" + s;
            case 7 -> seg[i] = s.toUpperCase(Locale.ROOT);
            default -> seg[i] = s + (m.upperHex() ? "%2F" : "%5C");
        }
        return "/" + String.join("/", seg);
    }

    private static int firstLetterFrom(String s, int from) {
        for (int k = 0; k < s.length(); k++) {
            int j = (from + k) % s.length();
            if (Character.isLetter(s.charAt(j))) {
                return j;
            }
        }
        return -1;
    }
}
