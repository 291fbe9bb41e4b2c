package io.fedmerge.hub.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/** Every /api/v1 request needs "Authorization: Bearer &lt;admin token&gt;"; refusals are RFC 9457 problem details. */
@Component
public class AdminAuthFilter extends OncePerRequestFilter {
    private final AdminTokens tokens;

    AdminAuthFilter(AdminTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !request.getRequestURI().startsWith("/api/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader("Authorization");
        String token = header != null && header.startsWith("Bearer ") ? header.substring(7).trim() : null;
        if (tokens.isValid(token)) {
            chain.doFilter(request, response);
            return;
        }
        response.setStatus(401);
        response.setContentType("application/problem+json;charset=UTF-8");
        response.setHeader("WWW-Authenticate", "Bearer");
        response.getWriter().write("{\"type\":\"about:blank\",\"title\":\"Unauthorized\",\"status\":401,"
                + "\"detail\":\"" + (token == null ? "missing admin token: send 'Authorization: Bearer <token>'"
                        : "admin token not recognised") + "\",\"instance\":\"" + request.getRequestURI() + "\"}");
    }
}
