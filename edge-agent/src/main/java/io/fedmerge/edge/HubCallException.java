package io.fedmerge.edge;

import io.fedmerge.core.FedmergeException;
import io.grpc.Status;

/** A call the hub refused or could not answer, with its gRPC status: whether to try again later is in the code. */
public final class HubCallException extends FedmergeException {
    private final Status.Code code;

    public HubCallException(String message, Status.Code code) {
        super(message);
        this.code = code;
    }

    public Status.Code code() {
        return code;
    }

    /** The hub was away or busy (a restart, a network cut, storage out): the same call may succeed later. */
    public boolean transientFailure() {
        return HubClient.retryable(code);
    }
}
