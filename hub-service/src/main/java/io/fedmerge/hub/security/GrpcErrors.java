package io.fedmerge.hub.security;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.hub.HubException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.grpc.server.exception.GrpcExceptionHandler;
import org.springframework.stereotype.Component;

/** The one mapping from exceptions to gRPC statuses, so no call ends as an UNKNOWN without a message. */
@Component
public class GrpcErrors implements GrpcExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcErrors.class);

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
            return status(h.kind()).withDescription(h.getMessage()).asException();
        }
        if (t instanceof FedmergeException f) {
            return Status.INVALID_ARGUMENT.withDescription(f.getMessage()).asException();
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
        };
    }
}
