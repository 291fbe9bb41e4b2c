package io.fedmerge.hub.security;

import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.convert.converter.Converter;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.oauth2.jwt.Jwt;

/**
 * Turns a verified access token into a {@link Caller}: the actor's name from the principal claim, roles from the
 * roles claim (values that are not fedmerge roles are ignored), the site from the site claim. A site-admin role
 * without a site grants nothing — a site admin of no site would otherwise be unscoped.
 */
final class JwtCallers implements Converter<Jwt, AbstractAuthenticationToken> {
    private static final Logger LOG = LoggerFactory.getLogger(JwtCallers.class);
    private final AuthProperties.Oidc oidc;

    JwtCallers(AuthProperties.Oidc oidc) {
        this.oidc = oidc;
    }

    @Override
    public AbstractAuthenticationToken convert(Jwt jwt) {
        String name = text(claim(jwt.getClaims(), oidc.principalClaim()));
        if (name == null || name.isBlank()) {
            name = jwt.getSubject();
        }
        if (name == null || name.isBlank() || name.equals(AdminTokenAuthenticationProvider.PRINCIPAL)
                || name.startsWith("node:")) {
            // The audit log must not be able to confuse a person with the bootstrap token or a node.
            throw new AccessTokenRefused("the access token names no usable actor in its '" + oidc.principalClaim()
                    + "' claim (missing, or a name the hub reserves)");
        }
        String site = text(claim(jwt.getClaims(), oidc.siteClaim()));
        Set<AdminRole> roles = roles(claim(jwt.getClaims(), oidc.rolesClaim()));
        if (roles.contains(AdminRole.SITE_ADMIN) && (site == null || site.isBlank())) {
            LOG.warn("access token of '{}' has the site-admin role but no '{}' claim; the role is ignored", name,
                    oidc.siteClaim());
            roles.remove(AdminRole.SITE_ADMIN);
            site = null;
        }
        return new AdminAuthentication(new Caller(name, roles, roles.contains(AdminRole.SITE_ADMIN) ? site : null,
                jwt.getExpiresAt()));
    }

    private static Set<AdminRole> roles(Object claim) {
        Collection<?> values = switch (claim) {
            case Collection<?> c -> c;
            case String s -> List.of(s.trim().split("\\s+"));
            case null, default -> List.of();
        };
        Set<AdminRole> roles = EnumSet.noneOf(AdminRole.class);
        for (Object v : values) {
            if (v instanceof String s) {
                AdminRole.fromClaim(s).ifPresent(roles::add);
            }
        }
        return roles;
    }

    /** The value at a dotted path ({@code realm_access.roles}), or null. */
    static Object claim(Map<String, Object> claims, String path) {
        Object at = claims;
        for (String key : path.split("\\.")) {
            if (!(at instanceof Map<?, ?> map)) {
                return null;
            }
            at = map.get(key);
        }
        return at;
    }

    private static String text(Object value) {
        return value instanceof String s ? s : null;
    }
}
