package io.fedmerge.hub;

import java.time.Instant;

/**
 * Which audit entries to read: each field null for "any". Actor and action match exactly, subject exactly (a round,
 * node or token id); {@code since} inclusive, {@code until} exclusive.
 */
public record AuditFilter(String actor, String action, String subject, Instant since, Instant until) {
    public static final AuditFilter ALL = new AuditFilter(null, null, null, null, null);
}
