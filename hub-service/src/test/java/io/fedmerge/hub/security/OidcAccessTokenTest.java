package io.fedmerge.hub.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.fedmerge.hub.AdminHttp;
import io.fedmerge.hub.TestHub;
import io.fedmerge.hub.TestIdp;
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
 * Admins signing in with access tokens of a real OIDC issuer on loopback: what a valid token gets, and every way an
 * attacker could bend a token — expired, another issuer, another audience, unsigned, re-signed with their own key
 * under the provider's key id, HMAC-signed with the provider's public key — refused with a reason the caller can act
 * on and no claim echoed.
 */
class OidcAccessTokenTest {
    @TempDir
    static Path dir;
    static TestIdp idp;
    static TestHub hub;

    @BeforeAll
    static void start() {
        idp = new TestIdp();
        hub = TestHub.start(dir.resolve("hub"), idp.hubSettings("--fedmerge.hub.auth.oidc.clock-skew=0s"));
    }

    @AfterAll
    static void stop() {
        hub.close();
        idp.close();
    }

    private static String valid() {
        return idp.token("dr.alice", null, "network-admin");
    }

    @Test
    void aNetworkAdminsTokenIsServedAndTheAuditLogNamesItsSubject() {
        AdminHttp alice = new AdminHttp(hub, valid());
        assertThat(alice.post("/api/v1/enrollment-tokens", Map.of("note", "by alice")).status()).isEqualTo(201);
        JsonNode entry = alice.get("/api/v1/audit?action=token.create&actor=dr.alice").body().path("entries").get(0);
        assertThat(entry.path("actor").asString()).isEqualTo("dr.alice");
        assertThat(entry.path("source").asString()).isEqualTo("127.0.0.1");
    }

    @Test
    void theBootstrapTokenStillWorksBesideOidc() {
        assertThat(new AdminHttp(hub, TestHub.ADMIN_TOKEN).get("/api/v1/nodes").status()).isEqualTo(200);
    }

    @Test
    void anExpiredTokenIsRefused() {
        // A one-second token (the provider sets iat to now); this hub allows no clock skew.
        String shortLived = idp.token(TestIdp.ISSUER_ID, "dr.alice", TestIdp.AUDIENCE,
                Map.of("roles", List.of("network-admin")), 1);
        await().atMost(Duration.ofSeconds(15))
                .until(() -> RawHttp.send(hub.httpPort(), "GET", "/api/v1/nodes", shortLived).status() == 401);
        assertRefused(shortLived, "has expired");
    }

    @Test
    void aTokenOfAnotherIssuerIsRefused() {
        // Another issuer of the same provider signs with its own keys: refused by signature already.
        String other = idp.token("another-network", "dr.alice", TestIdp.AUDIENCE,
                Map.of("roles", List.of("network-admin")), 300);
        assertRefused(hub, other, "not signed by the identity provider this hub trusts");
        // A hub that takes its keys from where this token's signature verifies, but trusts another issuer name:
        // only the issuer check stands between the token and the API.
        try (TestHub elsewhere = TestHub.start(dir.resolve("elsewhere"),
                "--fedmerge.hub.auth.oidc.issuer-uri=" + idp.issuer("elsewhere"),
                "--fedmerge.hub.auth.oidc.jwk-set-uri=" + idp.issuer() + "/jwks",
                "--fedmerge.hub.auth.oidc.audience=" + TestIdp.AUDIENCE)) {
            assertRefused(elsewhere, valid(), "was issued by another identity provider than the one this hub trusts");
        }
    }

    @Test
    void aTokenForAnotherApplicationIsRefused() {
        String forOther = idp.token(TestIdp.ISSUER_ID, "dr.alice", "patient-portal",
                Map.of("roles", List.of("network-admin")), 300);
        assertRefused(forOther, "was not issued for this hub");
    }

    @Test
    void anUnsignedTokenIsRefused() {
        String[] parts = valid().split("\\.");
        String none = Base64URL.encode("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
                + "." + parts[1] + ".";
        assertRefused(none, "unsigned");
        assertRefused(parts[0] + "." + parts[1] + ".", "unsigned");
    }

    @Test
    void aTokenReSignedWithTheAttackersOwnKeyUnderTheProvidersKeyIdIsRefused() {
        assertRefused(resign(valid(), claims -> claims.claim("roles", List.of("network-admin")), false),
                "not signed by the identity provider");
    }

    @Test
    void aTokenHmacSignedWithTheProvidersPublicKeyIsRefused() {
        assertRefused(resign(valid(), claims -> claims, true), "with an allowed algorithm");
    }

    @Test
    void aTokenWithoutAFedmergeRoleIsAuthenticatedButMayDoNothing() {
        AdminHttp nurse = new AdminHttp(hub, idp.token("nurse.bob", null, "ward-staff"));
        assertThat(nurse.get("/api/v1/nodes").status()).isEqualTo(403);
        assertThat(nurse.get("/api/v1/audit").status()).isEqualTo(403);
        assertThat(nurse.post("/api/v1/enrollment-tokens", Map.of()).status()).isEqualTo(403);
    }

    @Test
    void aSiteAdminRoleWithoutASiteGrantsNothing() {
        AdminHttp noSite = new AdminHttp(hub, idp.token("dr.carol", null, "site-admin"));
        assertThat(noSite.get("/api/v1/nodes").status()).isEqualTo(403);
        assertThat(noSite.post("/api/v1/enrollment-tokens", Map.of()).status()).isEqualTo(403);
    }

    @Test
    void aSubjectThatWouldImpersonateTheBootstrapTokenOrANodeInTheAuditLogIsRefused() {
        assertRefused(idp.token("bootstrap-token", null, "network-admin"), "a name the hub reserves");
        assertRefused(idp.token("node:0f4c7e1a", null, "network-admin"), "a name the hub reserves");
    }

    @Test
    void withTheBootstrapTokenTurnedOffOnlyAccessTokensSignIn() {
        try (TestHub strict = TestHub.start(dir.resolve("strict"),
                idp.hubSettings("--fedmerge.hub.auth.bootstrap-token=false"))) {
            assertThat(new AdminHttp(strict, TestHub.ADMIN_TOKEN).get("/api/v1/nodes").status()).isEqualTo(401);
            assertThat(new AdminHttp(strict, valid()).get("/api/v1/nodes").status()).isEqualTo(200);
        }
    }

    @Test
    void aHubNoAdminCouldSignInToRefusesToStart() {
        assertThatThrownBy(() -> TestHub.start(dir.resolve("locked"), "--fedmerge.hub.auth.bootstrap-token=false"))
                .hasStackTraceContaining("no admin could ever sign in");
        assertThatThrownBy(() -> TestHub.start(dir.resolve("any-audience"),
                "--fedmerge.hub.auth.oidc.issuer-uri=" + idp.issuer()))
                .hasStackTraceContaining("fedmerge.hub.auth.oidc.audience is not set");
    }

    private static void assertRefused(String token, String why) {
        assertRefused(hub, token, why);
    }

    private static void assertRefused(TestHub target, String token, String why) {
        RawHttp.Response r = RawHttp.send(target.httpPort(), "GET", "/api/v1/nodes", token);
        assertThat(r.status()).as(why).isEqualTo(401);
        assertThat(r.contentType()).startsWith("application/problem+json");
        assertThat(r.body()).contains(why).doesNotContain("dr.alice").doesNotContain(idp.issuer());
    }

    /** The token's claims, changed and signed again by the attacker: RS256 with a fresh key, or HS256. */
    private static String resign(String token, java.util.function.UnaryOperator<JWTClaimsSet.Builder> change,
            boolean hmacWithPublicKey) {
        try {
            SignedJWT original = SignedJWT.parse(token);
            JWTClaimsSet claims = change.apply(new JWTClaimsSet.Builder(original.getJWTClaimsSet())).build();
            String kid = original.getHeader().getKeyID();
            if (hmacWithPublicKey) {
                RSAKey published = (RSAKey) JWKSet.parse(jwks()).getKeyByKeyId(kid);
                SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(kid).build(), claims);
                forged.sign(new MACSigner(published.toRSAPublicKey().getEncoded()));
                return forged.serialize();
            }
            RSAKey attacker = new RSAKeyGenerator(2048).keyID(kid).generate();
            SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).build(), claims);
            forged.sign(new RSASSASigner(attacker));
            return forged.serialize();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String jwks() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(idp.issuer() + "/jwks")).build(), HttpResponse.BodyHandlers.ofString());
        return r.body();
    }
}
