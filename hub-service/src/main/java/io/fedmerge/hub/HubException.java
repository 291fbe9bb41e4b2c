package io.fedmerge.hub;

/**
 * A refusal with a reason a hospital engineer or admin can act on. The kind maps to one gRPC status and one HTTP
 * status, in exactly one place each.
 */
public final class HubException extends RuntimeException {
    /** UNAVAILABLE: the hub cannot serve this now (storage full, database down); the same call may work later. */
    public enum Kind { UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT,
        RESOURCE_EXHAUSTED, ALREADY_EXISTS, DATA_LOSS, UNAVAILABLE }

    private final Kind kind;
    private final String reason;

    public HubException(Kind kind, String reason, String message) {
        super(message);
        this.kind = kind;
        this.reason = reason;
    }

    public Kind kind() {
        return kind;
    }

    /** A short machine-readable reason, used as a metrics tag (e.g. "wrong_base"). */
    public String reason() {
        return reason;
    }

    public static HubException notFound(String message) {
        return new HubException(Kind.NOT_FOUND, "not_found", message);
    }

    public static HubException invalid(String reason, String message) {
        return new HubException(Kind.INVALID_ARGUMENT, reason, message);
    }

    public static HubException precondition(String reason, String message) {
        return new HubException(Kind.FAILED_PRECONDITION, reason, message);
    }

    public static HubException denied(String message) {
        return new HubException(Kind.PERMISSION_DENIED, "permission_denied", message);
    }

    public static HubException unavailable(String reason, String message) {
        return new HubException(Kind.UNAVAILABLE, reason, message);
    }

    public static HubException unauthenticated(String message) {
        return new HubException(Kind.UNAUTHENTICATED, "unauthenticated", message);
    }
}
