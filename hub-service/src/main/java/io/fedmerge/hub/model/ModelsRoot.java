package io.fedmerge.hub.model;

import io.fedmerge.hub.HubException;
import io.fedmerge.hub.HubProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.springframework.stereotype.Component;

/**
 * The one directory base models may come from ({@code fedmerge.hub.models-root}). A registration names a path inside
 * it; the path, and every file of a checkpoint directory, must still be inside it once symlinks and '..' are
 * resolved, and never inside the hub's own data directory (its database, uploads and published artifacts), unless
 * the models root itself lies there. Otherwise anyone holding the admin API could make the hub read, merge and
 * serve any file it can open.
 */
@Component
public class ModelsRoot {
    private static final int MAX_PATH_CHARS = 4096;
    private final Path root;
    private final Path dataDir;
    private final boolean rootInsideDataDir;

    ModelsRoot(HubProperties properties) {
        try {
            Files.createDirectories(properties.modelsRootOrDefault());
            Files.createDirectories(properties.dataDir());
            this.root = properties.modelsRootOrDefault().toRealPath();
            this.dataDir = properties.dataDir().toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the models root " + properties.modelsRootOrDefault()
                    + " (fedmerge.hub.models-root) or the data directory " + properties.dataDir(), e);
        }
        if (root.equals(dataDir) || dataDir.startsWith(root) && root.getNameCount() == 0) {
            throw new IllegalStateException("fedmerge.hub.models-root (" + root + ") must be a directory of its own,"
                    + " not the data directory or the file-system root; e.g. <data-dir>/models");
        }
        this.rootInsideDataDir = root.startsWith(dataDir);
    }

    /** The models root, resolved. */
    public Path root() {
        return root;
    }

    /**
     * The resolved location of a base model the admin named ({@code requested}: absolute, or relative to the root),
     * or a refusal that names the root and never the contents of any file.
     */
    public Path resolve(String requested) {
        if (requested == null || requested.isBlank()) {
            throw HubException.invalid("bad_base", "path is required: a checkpoint directory inside the models root "
                    + root);
        }
        if (requested.length() > MAX_PATH_CHARS || requested.indexOf('\0') >= 0) {
            throw HubException.invalid("bad_base", "path is not a usable file name (at most " + MAX_PATH_CHARS
                    + " characters, no NUL)");
        }
        Path asked;
        try {
            asked = root.resolve(requested).normalize();
        } catch (InvalidPathException e) {
            throw HubException.invalid("bad_base", "path is not a usable file name");
        }
        // Checked before touching the file system, so a path outside says nothing about what exists there.
        if (!asked.startsWith(root)) {
            throw outside();
        }
        Path real;
        try {
            real = asked.toRealPath();
        } catch (NoSuchFileException e) {
            throw HubException.invalid("bad_base", "no checkpoint at '" + display(asked) + "' in the models root "
                    + root);
        } catch (IOException e) {
            throw HubException.invalid("bad_base", "cannot read '" + display(asked) + "' in the models root " + root);
        }
        check(real, display(asked));
        if (Files.isDirectory(real)) {
            checkEntries(real);
        }
        return real;
    }

    /** Re-checks a stored location (it may have been registered before the root existed, or been swapped since). */
    public Path recheck(Path stored) {
        return resolve(stored.toString());
    }

    /** A location relative to the root, for messages and the admin API. */
    public String display(Path path) {
        Path p = path.toAbsolutePath().normalize();
        return p.startsWith(root) ? root.relativize(p).toString() : "(outside the models root)";
    }

    private void check(Path real, String shown) {
        if (!real.startsWith(root)) {
            throw HubException.invalid("outside_models_root", "'" + shown + "' resolves (through a symbolic link)"
                    + " outside the models root " + root + "; copy the checkpoint into it");
        }
        if (real.startsWith(dataDir) && !rootInsideDataDir) {
            throw HubException.invalid("outside_models_root", "'" + shown + "' is inside the hub's data directory;"
                    + " base models come from the models root " + root);
        }
    }

    /** Every file the merge reads or copies into an artifact is a direct child of the checkpoint directory. */
    private void checkEntries(Path dir) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                Path real;
                try {
                    real = entry.toRealPath();
                } catch (NoSuchFileException e) {
                    throw HubException.invalid("bad_base", "'" + display(entry) + "' is a broken symbolic link");
                }
                check(real, display(entry));
            }
        } catch (IOException e) {
            throw HubException.invalid("bad_base", "cannot list '" + display(dir) + "' in the models root " + root);
        }
    }

    private HubException outside() {
        return HubException.invalid("outside_models_root", "base models are registered only from inside the models"
                + " root " + root + " (fedmerge.hub.models-root); give a path inside it, or relative to it");
    }
}
