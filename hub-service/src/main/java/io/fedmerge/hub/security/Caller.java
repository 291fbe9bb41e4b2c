package io.fedmerge.hub.security;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.springframework.security.core.Authentication;

/**
 * Who is calling the admin API: the name the audit log records, the roles the identity provider granted and, for a
 * site admin, the site it administers.
 *
 * @param site the site of a site admin (never null when {@link AdminRole#SITE_ADMIN} is held), else null
 * @param validUntil when the credential stops being valid (an access token's {@code exp}); null for the bootstrap
 *     token, which is valid until the hub is reconfigured
 */
public record Caller(String name, Set<AdminRole> roles, String site, Instant validUntil) {
    public Caller {
        roles = Set.copyOf(roles);
    }

    /** The caller behind an authentication that passed the hub's filter chain. */
    public static Caller of(Authentication authentication) {
        if (authentication instanceof AdminAuthentication admin) {
            return admin.getPrincipal();
        }
        throw new IllegalStateException("not an admin authentication: " + authentication.getClass().getName());
    }

    public boolean has(AdminRole role) {
        return roles.contains(role);
    }

    /** The one site whose records this caller may see, or empty when it sees every site's. */
    public Optional<String> readScope() {
        return has(AdminRole.NETWORK_ADMIN) || has(AdminRole.AUDITOR) ? Optional.empty() : Optional.ofNullable(site);
    }

    /** The one site whose records this caller may change, or empty when it may change every site's. */
    public Optional<String> writeScope() {
        return has(AdminRole.NETWORK_ADMIN) ? Optional.empty() : Optional.ofNullable(site);
    }

    /** Whether a record of {@code recordSite} (null = no site) is visible to this caller. */
    public boolean sees(String recordSite) {
        return readScope().map(s -> s.equals(recordSite)).orElse(true);
    }

    /** Whether a record of {@code recordSite} (null = no site) may be changed by this caller. */
    public boolean mayChange(String recordSite) {
        return writeScope().map(s -> s.equals(recordSite)).orElse(true);
    }
}
