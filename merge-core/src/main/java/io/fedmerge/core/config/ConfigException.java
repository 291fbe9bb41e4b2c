package io.fedmerge.core.config;

import io.fedmerge.core.FedmergeException;

/** A merge configuration that cannot be run; the message names the key, the model and the offending value. */
public final class ConfigException extends FedmergeException {
    public ConfigException(String message) {
        super(message);
    }
}
