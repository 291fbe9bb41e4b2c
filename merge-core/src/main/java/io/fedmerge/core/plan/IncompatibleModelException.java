package io.fedmerge.core.plan;

import io.fedmerge.core.FedmergeException;

/** A contribution that does not fit the base: missing or extra tensors, other shapes, another base, bad values. */
public final class IncompatibleModelException extends FedmergeException {
    public IncompatibleModelException(String message) {
        super(message);
    }
}
