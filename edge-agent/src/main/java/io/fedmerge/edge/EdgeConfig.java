package io.fedmerge.edge;

import io.fedmerge.core.FedmergeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import tools.jackson.databind.json.JsonMapper;

/**
 * What enrollment leaves on the hospital's machine: the hub address and this node's identity and credential, in a
 * file readable only by its owner.
 *
 * @param caFile PEM certificate(s) to trust for a TLS hub, or null for a plaintext hub
 */
public record EdgeConfig(String hub, String nodeId, String nodeName, String credential, String caFile) {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A plaintext-hub configuration. */
    public EdgeConfig(String hub, String nodeId, String nodeName, String credential) {
        this(hub, nodeId, nodeName, credential, null);
    }

    public HubClient client() {
        return new HubClient(hub, credential, caFile == null ? null : Path.of(caFile));
    }

    public static Path defaultPath() {
        return Path.of(System.getProperty("user.home"), ".fedmerge", "edge.json");
    }

    public static EdgeConfig load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new FedmergeException("no edge configuration at " + file + "; run 'fedmerge edge enroll --hub"
                    + " HOST:PORT --token TOKEN' first (or pass --config)");
        }
        try {
            return JSON.readValue(Files.readString(file), EdgeConfig.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public void save(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp);
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX filesystem: rely on the directory's protection
            }
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(this));
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
