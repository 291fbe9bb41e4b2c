package io.fedmerge.hub;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;

/**
 * A real OIDC issuer on loopback for this module's tests: discovery document, JWKS and RS256-signed access tokens,
 * as a hospital network's Keycloak or Entra ID would issue them.
 */
public final class TestIdp implements AutoCloseable {
    public static final String AUDIENCE = "fedmerge-hub";
    public static final String ISSUER_ID = "hospital-network";
    /** With its login page, so a browser can sign in (authorization code) as well as tests minting tokens directly. */
    private final MockOAuth2Server server = new MockOAuth2Server(
            OAuth2Config.Companion.fromJson("{\"interactiveLogin\": true}"));

    public TestIdp() {
        server.start(InetAddress.getLoopbackAddress(), 0);
    }

    public String issuer() {
        return issuer(ISSUER_ID);
    }

    /** Another issuer served by the same provider (its own keys): a token from it is from the wrong issuer. */
    public String issuer(String issuerId) {
        return server.issuerUrl(issuerId).toString();
    }

    /** The hub settings that trust this issuer. */
    public String[] hubSettings(String... more) {
        List<String> s = new java.util.ArrayList<>(List.of("--fedmerge.hub.auth.oidc.issuer-uri=" + issuer(),
                "--fedmerge.hub.auth.oidc.audience=" + AUDIENCE));
        s.addAll(List.of(more));
        return s.toArray(String[]::new);
    }

    /** A valid access token of {@code subject} with these roles, and a site when not null. */
    public String token(String subject, String site, String... roles) {
        Map<String, Object> claims = new HashMap<>();
        claims.put("roles", List.of(roles));
        if (site != null) {
            claims.put("site", site);
        }
        return token(ISSUER_ID, subject, AUDIENCE, claims, 300);
    }

    /** Any token this provider can sign: issuer, audience, claims and lifetime (seconds; negative = expired). */
    public String token(String issuerId, String subject, String audience, Map<String, Object> claims,
            long lifetimeSeconds) {
        return server.issueToken(issuerId, subject, audience, claims, lifetimeSeconds).serialize();
    }

    @Override
    public void close() {
        server.shutdown();
    }
}
