package io.fedmerge.hub;

import java.time.Instant;

/**
 * One audited action: who (an admin credential's subject, {@code node:<id>}, {@code hub:<replica>} or the
 * scheduler), what, to what, from where (client address, when it came over the network) and when.
 */
public record AuditEntry(long id, Instant at, String actor, String action, String subject, String detail,
        String source) {}
