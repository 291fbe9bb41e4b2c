package io.fedmerge.edge;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.json.JsonMapper;

/**
 * What enrollment leaves on the hospital's machine: the hub address and this node's identity and credential, in a
 * file readable only by its owner.
 *
 * @param caFile PEM certificate(s) to trust for a TLS hub, or null for a plaintext hub
 * @param clientCertificate this node's client certificate chain (mutual TLS), or null
 * @param clientKey the private key of {@code clientCertificate}, or null
 */
public record EdgeConfig(String hub, String nodeId, String nodeName, String credential, String caFile,
        String clientCertificate, String clientKey) {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A plaintext-hub configuration. */
    public EdgeConfig(String hub, String nodeId, String nodeName, String credential) {
        this(hub, nodeId, nodeName, credential, null);
    }

    /** A TLS-hub configuration without a client certificate. */
    public EdgeConfig(String hub, String nodeId, String nodeName, String credential, String caFile) {
        this(hub, nodeId, nodeName, credential, caFile, null, null);
    }

    /** The client identity for mutual TLS, or null. */
    public ClientIdentity identity() {
        return clientCertificate == null ? null : new ClientIdentity(Path.of(clientCertificate), Path.of(clientKey));
    }

    public EdgeConfig withIdentity(ClientIdentity id) {
        return new EdgeConfig(hub, nodeId, nodeName, credential, caFile, id.certificateChain().toString(),
                id.privateKey().toString());
    }

    /** A client that retries a hub that is away for {@link RetryPolicy#DEFAULT}'s five minutes. */
    public HubClient client() {
        return client(RetryPolicy.DEFAULT);
    }

    public HubClient client(RetryPolicy retry) {
        return new HubClient(hub, credential, caFile == null ? null : Path.of(caFile), identity(), retry);
    }

    public static Path defaultPath() {
        return Path.of(System.getProperty("user.home"), ".fedmerge", "edge.json");
    }

    public static EdgeConfig load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new FedmergeException("no edge configuration at " + file + "; run 'fedmerge edge enroll --hub"
                    + " HOST:PORT --token-file FILE' first (or pass --config)");
        }
        try {
            return JSON.readValue(Files.readString(file), EdgeConfig.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public void save(Path file) {
        try {
            AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(this), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
