package io.fedmerge.hub.security;

import java.util.Set;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;

/**
 * The hub's bootstrap credential: a bearer token equal to the configured (or generated) admin token authenticates
 * as {@value #PRINCIPAL}, a network admin. The comparison is on hashes, in constant time ({@link Secrets}).
 */
final class AdminTokenAuthenticationProvider implements AuthenticationProvider {
    static final String PRINCIPAL = "bootstrap-token";
    private final AdminTokens tokens;

    AdminTokenAuthenticationProvider(AdminTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        String token = ((BearerTokenAuthenticationToken) authentication).getToken();
        if (!tokens.isValid(token)) {
            throw new BadCredentialsException("admin token not recognised");
        }
        return new AdminAuthentication(new Caller(PRINCIPAL, Set.of(AdminRole.NETWORK_ADMIN), null, null));
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return BearerTokenAuthenticationToken.class.isAssignableFrom(authentication);
    }
}
