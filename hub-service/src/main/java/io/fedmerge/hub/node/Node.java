package io.fedmerge.hub.node;

import java.time.Instant;

/** An enrolled hospital node. */
public record Node(String id, String name, Instant enrolledAt, Instant lastSeen, boolean revoked) {}
