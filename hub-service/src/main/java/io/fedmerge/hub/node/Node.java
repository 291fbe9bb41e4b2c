package io.fedmerge.hub.node;

import java.time.Instant;

/**
 * An enrolled hospital node.
 *
 * @param site the hospital site it belongs to (from its enrollment token), or null
 */
public record Node(String id, String name, String site, Instant enrolledAt, Instant lastSeen, boolean revoked) {}
