package io.fedmerge.hub.admin;

import io.swagger.v3.oas.annotations.enums.SecuritySchemeType;
import io.swagger.v3.oas.annotations.security.SecurityScheme;
import org.springframework.context.annotation.Configuration;

/** Declares in /v3/api-docs how the admin API authenticates: an RFC 6750 bearer token on every call. */
@Configuration(proxyBeanMethods = false)
@SecurityScheme(name = OpenApiSecurity.SCHEME, type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "An access token from the network's identity provider (OIDC; roles network-admin, site-admin,"
                + " auditor) or the hub's bootstrap admin token (fedmerge.hub.admin-token, or the one generated at"
                + " first start)")
class OpenApiSecurity {
    static final String SCHEME = "bearer";
}
