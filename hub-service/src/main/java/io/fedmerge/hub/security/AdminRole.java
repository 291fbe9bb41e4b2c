package io.fedmerge.hub.security;

import java.util.Arrays;
import java.util.Optional;

/**
 * What an admin may do, as the identity provider's roles claim names it. A network admin does everything; a site
 * admin manages its own site's enrollment tokens and nodes and reads the rounds its nodes take part in; an auditor
 * reads everything, the audit log included, and changes nothing.
 */
public enum AdminRole {
    NETWORK_ADMIN("network-admin"),
    SITE_ADMIN("site-admin"),
    AUDITOR("auditor");

    private final String claimValue;

    AdminRole(String claimValue) {
        this.claimValue = claimValue;
    }

    /** The role's name in a token's roles claim. */
    public String claimValue() {
        return claimValue;
    }

    /** The Spring Security authority granted for this role. */
    public String authority() {
        return "ROLE_" + name();
    }

    static Optional<AdminRole> fromClaim(String value) {
        return Arrays.stream(values()).filter(r -> r.claimValue.equals(value)).findFirst();
    }
}
