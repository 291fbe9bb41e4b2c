package io.fedmerge.core.io;

import java.nio.file.Path;

/** Bytes [{@code offset}, {@code offset + length}) of a file: where a tensor's data lies on disk. */
public record FileRange(Path file, long offset, long length) {
    public FileRange {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative offset or length: " + offset + ", " + length);
        }
    }
}
