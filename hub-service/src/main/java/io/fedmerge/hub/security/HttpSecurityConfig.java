package io.fedmerge.hub.security;

import jakarta.servlet.DispatcherType;
import org.springframework.boot.security.autoconfigure.actuate.web.servlet.EndpointRequest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.firewall.HttpFirewall;
import org.springframework.security.web.firewall.RequestRejectedHandler;

/**
 * The one HTTP filter chain, deny by default: the admin API and its OpenAPI document need an admin credential
 * ({@link BearerTokens}) whose roles allow the operation ({@link AdminRole}; the table is in docs/SECURITY.md), the
 * probes and the Prometheus scrape (on the management port) are anonymous, and every other request is refused
 * whatever its spelling. Paths that are not in canonical form never reach a rule ({@link CanonicalPathFirewall}).
 */
@Configuration(proxyBeanMethods = false)
class HttpSecurityConfig {
    private static final String NETWORK = AdminRole.NETWORK_ADMIN.name();
    private static final String SITE = AdminRole.SITE_ADMIN.name();
    private static final String AUDITOR = AdminRole.AUDITOR.name();
    private final ProblemResponses problems = new ProblemResponses();

    @Bean
    SecurityFilterChain hubSecurity(HttpSecurity http, AdminTokens tokens, AuthProperties auth) throws Exception {
        AuthenticationManager admins = new BearerTokens(auth, tokens);
        http.authorizeHttpRequests(rules -> rules
                        // An error page rendered for a request that already passed these rules.
                        .dispatcherTypeMatchers(DispatcherType.ERROR).permitAll()
                        .requestMatchers(EndpointRequest.to("health", "prometheus")).permitAll()
                        // The console's static files hold no data; everything they show comes from the API.
                        .requestMatchers(HttpMethod.GET, "/console", "/console/", "/console/index.html",
                                "/console/console.js", "/console/console.css", "/console/favicon.svg",
                                "/console/sign-in.json").permitAll()
                        .requestMatchers(EndpointRequest.toAnyEndpoint()).hasRole(NETWORK)
                        .requestMatchers(HttpMethod.GET, "/v3/api-docs", "/v3/api-docs/**")
                        .hasAnyRole(NETWORK, SITE, AUDITOR)
                        .requestMatchers(HttpMethod.GET, "/api/v1/me", "/api/v1/merge-methods")
                        .hasAnyRole(NETWORK, SITE, AUDITOR)
                        .requestMatchers(HttpMethod.GET, "/api/v1/audit", "/api/v1/audit/**")
                        .hasAnyRole(NETWORK, AUDITOR)
                        // What a site admin reads; the controllers narrow it to its own site's records.
                        .requestMatchers(HttpMethod.GET, "/api/v1/enrollment-tokens", "/api/v1/nodes",
                                "/api/v1/nodes/*/certificates", "/api/v1/base-models", "/api/v1/rounds",
                                "/api/v1/rounds/*", "/api/v1/rounds/*/artifact", "/api/v1/rounds/*/units",
                                "/api/v1/rounds/*/contributions",
                                "/api/v1/rounds/*/events")
                        .hasAnyRole(NETWORK, SITE, AUDITOR)
                        .requestMatchers(HttpMethod.POST, "/api/v1/enrollment-tokens").hasAnyRole(NETWORK, SITE)
                        .requestMatchers(HttpMethod.DELETE, "/api/v1/enrollment-tokens/*", "/api/v1/nodes/*",
                                "/api/v1/certificates/*")
                        .hasAnyRole(NETWORK, SITE)
                        .requestMatchers(HttpMethod.GET, "/api/v1/**").hasAnyRole(NETWORK, AUDITOR)
                        .requestMatchers("/api/v1/**").hasRole(NETWORK)
                        .anyRequest().denyAll())
                .oauth2ResourceServer(bearer -> bearer.authenticationManagerResolver(request -> admins)
                        .authenticationEntryPoint(problems).accessDeniedHandler(problems))
                .exceptionHandling(e -> e.authenticationEntryPoint(problems).accessDeniedHandler(problems))
                // The console runs only its own script and talks only to this hub; nobody may frame it.
                .headers(h -> h.contentSecurityPolicy(csp -> csp.policyDirectives(contentSecurityPolicy(auth))))
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                // A bearer-token API has no browser session to forge requests with.
                .csrf(csrf -> csrf.disable())
                .httpBasic(basic -> basic.disable())
                .formLogin(form -> form.disable())
                .logout(logout -> logout.disable())
                .anonymous(anonymous -> { })
                .requestCache(cache -> cache.disable());
        return http.build();
    }

    /** Only this hub's own files; the page may also reach the identity provider to sign in there. */
    static String contentSecurityPolicy(AuthProperties auth) {
        String provider = auth.oidc().enabled() ? " " + auth.oidc().issuerOrigin() : "";
        return "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'" + provider
                + "; img-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";
    }

    @Bean
    HttpFirewall canonicalPathFirewall() {
        return new CanonicalPathFirewall();
    }

    @Bean
    RequestRejectedHandler rejectedAsProblem() {
        return problems;
    }
}
