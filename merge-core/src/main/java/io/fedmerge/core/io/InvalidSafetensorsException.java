package io.fedmerge.core.io;

import io.fedmerge.core.FedmergeException;
import java.nio.file.Path;

/** A safetensors file (or checkpoint directory) that cannot be trusted: the message says where and why. */
public final class InvalidSafetensorsException extends FedmergeException {
    public InvalidSafetensorsException(Path file, String problem) {
        super(file + ": " + problem);
    }
}
