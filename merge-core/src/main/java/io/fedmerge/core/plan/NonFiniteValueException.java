package io.fedmerge.core.plan;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.tensor.FloatCodec;

/** A NaN or infinite input value: merging would spread it, so the merge stops and publishes nothing. */
public final class NonFiniteValueException extends FedmergeException {
    /** Throws unless {@code values[0, length)} — elements from {@code first} of {@code tensor} — are all finite. */
    public static void requireFinite(float[] values, int length, String source, String tensor, long first) {
        int bad = FloatCodec.firstNonFinite(values, length);
        if (bad >= 0) {
            throw new NonFiniteValueException(source, tensor, first + bad, values[bad]);
        }
    }

    public NonFiniteValueException(String source, String tensor, long index, float value) {
        super(source + ": tensor '" + tensor + "' element " + index + " is " + value
                + "; fedmerge refuses non-finite weights, check how this model was trained or exported");
    }
}
