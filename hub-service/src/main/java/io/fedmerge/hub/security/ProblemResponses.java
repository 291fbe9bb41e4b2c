package io.fedmerge.hub.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.json.JacksonJsonHttpMessageConverter;
import org.springframework.http.server.ServletServerHttpResponse;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.jwt.JwtValidationException;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.security.web.firewall.RequestRejectedHandler;

/**
 * Every refusal of the security filter chain as an RFC 9457 problem detail: 401 (no or unknown credential), 403
 * (authenticated but not allowed, or a path no rule names) and 400 (a path not in canonical form). The detail never
 * echoes the request path or the credential.
 */
final class ProblemResponses implements AuthenticationEntryPoint, AccessDeniedHandler, RequestRejectedHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ProblemResponses.class);
    private final JacksonJsonHttpMessageConverter json = new JacksonJsonHttpMessageConverter();

    @Override
    public void commence(HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
            throws IOException {
        boolean sent = request.getHeader(HttpHeaders.AUTHORIZATION) != null;
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, sent ? "Bearer error=\"invalid_token\"" : "Bearer");
        write(response, HttpStatus.UNAUTHORIZED, sent ? whyRefused(e) : "missing credential: send"
                + " 'Authorization: Bearer <access token or admin token>'", "unauthenticated");
    }

    /** Only texts the hub wrote for the caller; a library's message may quote the token's claims. */
    private static String whyRefused(AuthenticationException e) {
        if (e instanceof AccessTokenRefused refused) {
            return refused.getMessage();
        }
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof JwtValidationException invalid) {
                return invalid.getErrors().stream().filter(err -> OidcAccessTokens.REFUSED.equals(err.getErrorCode()))
                        .map(OAuth2Error::getDescription).findFirst().orElse("the access token is not valid here");
            }
        }
        if (e instanceof InvalidBearerTokenException) {
            return "the access token is malformed, unsigned, or not signed by the identity provider this hub trusts"
                    + " with an allowed algorithm; sign in again";
        }
        return "credential not recognised";
    }

    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, AccessDeniedException e)
            throws IOException {
        write(response, HttpStatus.FORBIDDEN, "this credential may not do that here", "permission_denied");
    }

    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, RequestRejectedException e)
            throws IOException {
        // The firewall's message may quote the offending part of the path: logged for operators, not echoed.
        LOG.info("request rejected by the firewall from {}: {}", request.getRemoteAddr(), e.getMessage());
        write(response, HttpStatus.BAD_REQUEST, "the request path is not in canonical form (no encoded letters,"
                + " '/', '%' or '.', no ';', '//', '/./' or '/../'); send it as the API documents it", "bad_path");
    }

    private void write(HttpServletResponse response, HttpStatus status, String detail, String reason)
            throws IOException {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setProperty("reason", reason);
        ServletServerHttpResponse out = new ServletServerHttpResponse(response);
        out.setStatusCode(status);
        json.write(problem, MediaType.APPLICATION_PROBLEM_JSON, out);
        out.flush();
    }
}
