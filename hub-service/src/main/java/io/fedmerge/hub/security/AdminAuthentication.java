package io.fedmerge.hub.security;

import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/** An authenticated admin-API caller, whichever credential it came with (bootstrap token or OIDC access token). */
final class AdminAuthentication extends AbstractAuthenticationToken {
    private final Caller caller;

    AdminAuthentication(Caller caller) {
        super(caller.roles().stream().map(r -> new SimpleGrantedAuthority(r.authority())).toList());
        this.caller = caller;
        setAuthenticated(true);
    }

    @Override
    public Caller getPrincipal() {
        return caller;
    }

    @Override
    public Object getCredentials() {
        return null;
    }

    @Override
    public String getName() {
        return caller.name();
    }
}
