package io.fedmerge.hub.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.web.firewall.FirewalledRequest;
import org.springframework.security.web.firewall.HttpFirewall;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.security.web.firewall.StrictHttpFirewall;

/**
 * Spring Security's {@link StrictHttpFirewall} (encoded '/', ';', '..', '%25', '//' and friends are rejected) plus
 * one rule it leaves out: a path may not percent-encode an unreserved character ({@code %61pi} for {@code api}).
 * RFC 3986 §6.2.2.2 says such URIs are equivalent to their decoded form and must be normalised by not encoding
 * them, so an encoded unreserved character is never canonical; rejecting it means every rule sees the one spelling
 * the router will route.
 */
final class CanonicalPathFirewall implements HttpFirewall {
    private final StrictHttpFirewall strict = new StrictHttpFirewall();

    @Override
    public FirewalledRequest getFirewalledRequest(HttpServletRequest request) {
        String uri = request.getRequestURI();
        if (uri != null && encodesUnreserved(uri)) {
            throw new RequestRejectedException("the request path percent-encodes a letter, digit or one of"
                    + " '-._~'; send it in canonical form");
        }
        return strict.getFirewalledRequest(request);
    }

    @Override
    public HttpServletResponse getFirewalledResponse(HttpServletResponse response) {
        return strict.getFirewalledResponse(response);
    }

    static boolean encodesUnreserved(String uri) {
        for (int i = uri.indexOf('%'); i >= 0 && i + 2 < uri.length(); i = uri.indexOf('%', i + 1)) {
            int hi = Character.digit(uri.charAt(i + 1), 16);
            int lo = Character.digit(uri.charAt(i + 2), 16);
            if (hi >= 0 && lo >= 0 && unreserved((char) (hi * 16 + lo))) {
                return true;
            }
        }
        return false;
    }

    private static boolean unreserved(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
                || c == '_' || c == '~';
    }
}
