package io.fedmerge.core.plan;

import io.fedmerge.core.FedmergeException;

/** A NaN or infinite input value: merging would spread it, so the merge stops and publishes nothing. */
public final class NonFiniteValueException extends FedmergeException {
    public NonFiniteValueException(String source, String tensor, long index, float value) {
        super(source + ": tensor '" + tensor + "' element " + index + " is " + value
                + "; fedmerge refuses non-finite weights, check how this model was trained or exported");
    }
}
