package io.fedmerge.core.adapter;

import io.fedmerge.core.FedmergeException;
import java.nio.file.Path;

/** A PEFT adapter directory that cannot be used as it is: the message says which file, what is wrong, what to do. */
public final class InvalidAdapterException extends FedmergeException {
    public InvalidAdapterException(Path where, String problem) {
        super(where + ": " + problem);
    }
}
