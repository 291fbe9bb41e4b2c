package io.fedmerge.core;

/**
 * Base of every error fedmerge reports to a user. The message is the whole story: what was expected, what was found,
 * where (file, tensor, model) and, when it is not obvious, what to do about it.
 */
public class FedmergeException extends RuntimeException {
    public FedmergeException(String message) {
        super(message);
    }

    public FedmergeException(String message, Throwable cause) {
        super(message, cause);
    }
}
