package io.fedmerge.hub.security;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.hub.HubException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.grpc.server.exception.GrpcExceptionHandler;
import org.springframework.stereotype.Component;

/**
 * The one mapping from exceptions to gRPC statuses, so no call ends as an UNKNOWN without a message. Descriptions go
 * to nodes outside the hub, so any absolute file-system path in them is replaced by {@value #REDACTED}: a message
 * built from a merge-core error (which names files, as a command-line tool should) cannot tell a node where the
 * hub keeps its data.
 */
@Component
public class GrpcErrors implements GrpcExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcErrors.class);
    static final String REDACTED = "<hub path>";
    static final int MAX_DESCRIPTION = 1000;
    /** An absolute path: a '/' at the start or after a space, quote, '(' or '=', then path characters. */
    private static final Pattern ABSOLUTE_PATH = Pattern.compile("(^|[\\s'\"(=:])/[^\\s'\"),;:]*");

    @Override
    public StatusException handleException(Throwable t) {
        return of(t);
    }

    public static StatusException of(Throwable t) {
        if (t instanceof StatusException se) {
            return se;
        }
        if (t instanceof StatusRuntimeException sre) {
            return sre.getStatus().asException();
        }
        if (t instanceof HubException h) {
            return status(h.kind()).withDescription(redact(h.getMessage())).asException();
        }
        if (t instanceof FedmergeException f) {
            return Status.INVALID_ARGUMENT.withDescription(redact(f.getMessage())).asException();
        }
        if (t instanceof DataAccessException) {
            // The database failed (a full disk closes embedded H2; a PostgreSQL restart): transient for the node.
            LOG.error("database error in a gRPC call", t);
            return Status.UNAVAILABLE.withDescription("the hub cannot use its database right now; retry later (the"
                    + " hub log has details)").asException();
        }
        if (t instanceof java.io.UncheckedIOException || t instanceof java.io.IOException) {
            // Storage trouble (disk full, S3 unreachable): transient from the node's view, so it retries.
            LOG.error("storage error in a gRPC call", t);
            return Status.UNAVAILABLE.withDescription("the hub cannot use its storage right now; retry later (the hub"
                    + " log has details)").asException();
        }
        LOG.error("internal error in a gRPC call", t);
        return Status.INTERNAL.withDescription("internal hub error (" + t.getClass().getSimpleName()
                + "); the hub log has details").asException();
    }

    /**
     * The message with every absolute path replaced by {@value #REDACTED}, cut to {@value #MAX_DESCRIPTION} chars
     * (a message may quote an identifier the caller sent, and trailers are small).
     */
    public static String redact(String message) {
        if (message == null) {
            return null;
        }
        String clean = ABSOLUTE_PATH.matcher(message).replaceAll("$1" + REDACTED);
        return clean.length() <= MAX_DESCRIPTION ? clean : clean.substring(0, MAX_DESCRIPTION) + "…";
    }

    private static Status status(HubException.Kind kind) {
        return switch (kind) {
            case UNAUTHENTICATED -> Status.UNAUTHENTICATED;
            case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
            case NOT_FOUND -> Status.NOT_FOUND;
            case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
            case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
            case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
            case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
            case DATA_LOSS -> Status.DATA_LOSS;
            case UNAVAILABLE -> Status.UNAVAILABLE;
        };
    }
}
