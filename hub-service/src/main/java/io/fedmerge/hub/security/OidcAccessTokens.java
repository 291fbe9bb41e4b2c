package io.fedmerge.hub.security;

import java.util.List;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtAudienceValidator;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationProvider;

/**
 * Access tokens from the hospital network's identity provider: signature by one of the provider's published keys
 * with an allowed algorithm (so unsigned and HMAC-forged tokens fail), the configured issuer, the hub's audience,
 * and an {@code exp} that is present and not past. The keys are fetched on first use, so the hub starts while the
 * provider is down.
 */
final class OidcAccessTokens {
    /** The OAuth2 error code of a refusal whose description is written for the caller. */
    static final String REFUSED = "fedmerge_token_refused";

    private OidcAccessTokens() {}

    static AuthenticationProvider provider(AuthProperties.Oidc oidc) {
        if (oidc.audience() == null || oidc.audience().isBlank()) {
            throw new IllegalStateException("fedmerge.hub.auth.oidc.audience is not set: without it a token the"
                    + " identity provider issued for any other application would be accepted; set it to the hub's"
                    + " client id at the provider");
        }
        NimbusJwtDecoder.JwkSetUriJwtDecoderBuilder builder = oidc.jwkSetUri() == null || oidc.jwkSetUri().isBlank()
                ? NimbusJwtDecoder.withIssuerLocation(oidc.issuerUri())
                : NimbusJwtDecoder.withJwkSetUri(oidc.jwkSetUri());
        builder.jwsAlgorithms(algorithms -> {
            algorithms.clear();
            oidc.algorithms().forEach(a -> algorithms.add(algorithm(a)));
        });
        NimbusJwtDecoder decoder = builder.build();
        JwtTimestampValidator time = new JwtTimestampValidator(oidc.clockSkew());
        time.setAllowEmptyExpiryClaim(false);
        decoder.setJwtValidator(new DelegatingOAuth2TokenValidator<>(List.of(
                explained(time, "the access token has expired (or is not valid yet); sign in again"),
                explained(new JwtIssuerValidator(oidc.issuerUri()), "the access token was issued by another"
                        + " identity provider than the one this hub trusts"),
                explained(new JwtAudienceValidator(oidc.audience()), "the access token was not issued for this hub"
                        + " (its audience does not name it); ask for a token for the hub's client id"))));
        JwtAuthenticationProvider provider = new JwtAuthenticationProvider(decoder);
        provider.setJwtAuthenticationConverter(new JwtCallers(oidc));
        return provider;
    }

    /**
     * The validator with an error the caller may read ({@link ProblemResponses} shows descriptions of this code
     * only): the library's own descriptions can quote claim values.
     */
    private static OAuth2TokenValidator<Jwt> explained(OAuth2TokenValidator<Jwt> check, String description) {
        OAuth2Error error = new OAuth2Error(REFUSED, description, null);
        return jwt -> check.validate(jwt).hasErrors() ? OAuth2TokenValidatorResult.failure(error)
                : OAuth2TokenValidatorResult.success();
    }

    private static SignatureAlgorithm algorithm(String name) {
        SignatureAlgorithm a = SignatureAlgorithm.from(name);
        if (a == null) {
            throw new IllegalStateException("fedmerge.hub.auth.oidc.algorithms: '" + name + "' is not an asymmetric"
                    + " JWS algorithm (use RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384 or PS512)");
        }
        return a;
    }
}
