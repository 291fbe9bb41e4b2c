package io.fedmerge.hub.security;

import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;

/** A verified access token the hub still refuses, with a message written for the caller (it quotes no claim). */
final class AccessTokenRefused extends InvalidBearerTokenException {
    AccessTokenRefused(String message) {
        super(message);
    }
}
