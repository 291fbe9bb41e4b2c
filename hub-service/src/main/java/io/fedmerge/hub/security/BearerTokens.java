package io.fedmerge.hub.security;

import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;

/**
 * The admin API's bearer tokens: a token shaped like a JWT goes to the identity provider's verification when OIDC
 * is configured, anything else to the bootstrap token when that is enabled. Each credential is tried against
 * exactly one authority, so a failure says which one refused it.
 */
final class BearerTokens implements AuthenticationManager {
    private final AuthenticationProvider bootstrap;
    private final AuthenticationProvider oidc;

    BearerTokens(AuthProperties auth, AdminTokens tokens) {
        this.bootstrap = auth.bootstrapToken() ? new AdminTokenAuthenticationProvider(tokens) : null;
        this.oidc = auth.oidc().enabled() ? OidcAccessTokens.provider(auth.oidc()) : null;
        if (bootstrap == null && oidc == null) {
            throw new IllegalStateException("no admin could ever sign in: fedmerge.hub.auth.bootstrap-token is false"
                    + " and fedmerge.hub.auth.oidc.issuer-uri is not set; configure OIDC or keep the bootstrap token");
        }
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        String token = ((BearerTokenAuthenticationToken) authentication).getToken();
        AuthenticationProvider provider = oidc != null && looksLikeJwt(token) ? oidc : bootstrap;
        if (provider == null) {
            throw new BadCredentialsException("credential not recognised");
        }
        return provider.authenticate(authentication);
    }

    /** Three base64url parts: header, claims, signature (possibly empty, which verification then refuses). */
    private static boolean looksLikeJwt(String token) {
        return token.chars().filter(c -> c == '.').count() == 2;
    }
}
