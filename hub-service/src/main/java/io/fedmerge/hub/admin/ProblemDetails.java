package io.fedmerge.hub.admin;

import io.fedmerge.hub.HubException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** Admin API errors as RFC 9457 problem details, with the same kinds the gRPC side maps. */
@RestControllerAdvice
class ProblemDetails {
    private static final Logger LOG = LoggerFactory.getLogger(ProblemDetails.class);

    @ExceptionHandler(HubException.class)
    ProblemDetail hub(HubException e) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status(e.kind()), e.getMessage());
        p.setProperty("reason", e.reason());
        return p;
    }

    /** The database failed (a full disk, a restarting server): 503, so scripts retry; details in the hub log. */
    @ExceptionHandler(DataAccessException.class)
    ProblemDetail database(DataAccessException e) {
        LOG.error("database error in an admin call", e);
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, "the hub cannot use its"
                + " database right now (its disk may be full); retry later, the hub log has details");
        p.setProperty("reason", "database_unavailable");
        return p;
    }

    @ExceptionHandler(io.fedmerge.core.FedmergeException.class)
    ProblemDetail core(io.fedmerge.core.FedmergeException e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, e.getMessage());
    }

    private static HttpStatus status(HubException.Kind kind) {
        return switch (kind) {
            case UNAUTHENTICATED -> HttpStatus.UNAUTHORIZED;
            case PERMISSION_DENIED -> HttpStatus.FORBIDDEN;
            case NOT_FOUND -> HttpStatus.NOT_FOUND;
            case FAILED_PRECONDITION, ALREADY_EXISTS -> HttpStatus.CONFLICT;
            case INVALID_ARGUMENT -> HttpStatus.BAD_REQUEST;
            case RESOURCE_EXHAUSTED -> HttpStatus.CONTENT_TOO_LARGE;
            case DATA_LOSS -> HttpStatus.UNPROCESSABLE_CONTENT;
            case UNAVAILABLE -> HttpStatus.SERVICE_UNAVAILABLE;
        };
    }
}
