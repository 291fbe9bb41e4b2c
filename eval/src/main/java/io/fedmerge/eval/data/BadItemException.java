package io.fedmerge.eval.data;

import io.fedmerge.core.FedmergeException;

/** A data line that is not a usable item; {@link McqDataset} adds the file and line number. */
public final class BadItemException extends FedmergeException {
    public BadItemException(String message) {
        super(message);
    }
}
