package io.fedmerge.core.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Small text files (configurations, keys, certificates) written whole or not at all. */
public final class AtomicFiles {
    private AtomicFiles() {}

    /**
     * Writes through a temporary file in the same directory and a rename, so readers never see half a file. With
     * {@code ownerOnly} the file is created readable by its owner alone (a private key is never, even briefly,
     * world-readable); on a non-POSIX file system the directory's protection applies.
     */
    public static void write(Path file, String content, boolean ownerOnly) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (ownerOnly) {
            try {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                        "rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(tmp);
            }
        }
        Files.writeString(tmp, content);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
