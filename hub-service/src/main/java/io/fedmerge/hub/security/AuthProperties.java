package io.fedmerge.hub.security;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How admins authenticate ({@code fedmerge.hub.auth.*}).
 *
 * @param bootstrapToken accept the hub's admin token (fedmerge.hub.admin-token or the generated one) as a network
 *     admin. Meant for the first start and as a break-glass credential; turn it off once OIDC works.
 * @param oidc access tokens from the hospital network's identity provider
 */
@ConfigurationProperties("fedmerge.hub.auth")
public record AuthProperties(@DefaultValue("true") boolean bootstrapToken, @DefaultValue Oidc oidc) {

    /**
     * @param issuerUri the identity provider's issuer (its discovery document and keys are found from it); blank =
     *     OIDC off
     * @param jwkSetUri where the signing keys are, when discovery should not be used
     * @param audience the value a token's {@code aud} must contain (the hub's client id at the provider)
     * @param rolesClaim the claim holding the roles: a list or a space-separated string; a dotted path reaches into
     *     objects (Keycloak: {@code realm_access.roles})
     * @param siteClaim the claim naming a site admin's site
     * @param principalClaim the claim the audit log names the actor by
     * @param algorithms signature algorithms accepted; anything else, and unsigned tokens, are refused
     * @param clockSkew tolerance on {@code exp} and {@code nbf}
     * @param consoleClientId the public client the web console signs in with (authorization code with PKCE);
     *     blank = the audience
     */
    public record Oidc(String issuerUri, String jwkSetUri, String audience, @DefaultValue("roles") String rolesClaim,
            @DefaultValue("site") String siteClaim, @DefaultValue("sub") String principalClaim,
            @DefaultValue("RS256") List<String> algorithms, @DefaultValue("30s") Duration clockSkew,
            String consoleClientId) {

        public boolean enabled() {
            return issuerUri != null && !issuerUri.isBlank();
        }

        /** The client id the console's sign-in uses. */
        public String consoleClient() {
            return consoleClientId == null || consoleClientId.isBlank() ? audience : consoleClientId;
        }

        /** The issuer's origin (scheme, host, port), which the console's page may contact; null when OIDC is off. */
        public String issuerOrigin() {
            if (!enabled()) {
                return null;
            }
            java.net.URI uri = java.net.URI.create(issuerUri);
            return uri.getScheme() + "://" + uri.getRawAuthority();
        }
    }
}
