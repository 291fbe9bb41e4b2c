package io.fedmerge.hub.storage;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.StorageType;
import org.jclouds.blobstore.options.ListContainerOptions;
import org.springframework.util.unit.DataSize;
import software.amazon.awssdk.services.s3.S3Client;

/** A real S3-compatible server (s3proxy over a directory) on a free loopback port, with signed requests. */
public final class LocalS3 implements AutoCloseable {
    public static final String ACCESS_KEY = "fedmerge-test";
    public static final String SECRET_KEY = "fedmerge-test-secret";

    private final BlobStoreContext context;
    private final int port;
    private S3Proxy proxy;

    private LocalS3(BlobStoreContext context, int port) {
        this.context = context;
        this.port = port;
    }

    public static LocalS3 start(Path dir) throws Exception {
        Properties p = new Properties();
        p.setProperty("jclouds.filesystem.basedir", dir.toAbsolutePath().toString());
        BlobStoreContext context = ContextBuilder.newBuilder("filesystem-nio2").credentials(ACCESS_KEY, SECRET_KEY)
                .overrides(p).build(BlobStoreContext.class);
        LocalS3 s3 = new LocalS3(context, freePort());
        s3.resume();
        return s3;
    }

    /**
     * A server that keeps objects in memory. Its PUTs are atomic, as real S3's are: the filesystem backend writes a
     * PUT's body straight into the object's file, so a client killed mid-PUT leaves a partial object without
     * metadata that breaks every later listing of its prefix — a defect of the double, not of S3 (fault campaigns).
     */
    public static LocalS3 startInMemory() throws Exception {
        BlobStoreContext context = ContextBuilder.newBuilder("transient").credentials(ACCESS_KEY, SECRET_KEY)
                .build(BlobStoreContext.class);
        LocalS3 s3 = new LocalS3(context, freePort());
        s3.resume();
        return s3;
    }

    /** The keys stored under {@code prefix} in {@code bucket}, read from the store behind the server. */
    public List<String> keys(String bucket, String prefix) {
        var store = context.getBlobStore();
        if (!store.containerExists(bucket)) {
            return List.of();
        }
        List<String> keys = new ArrayList<>();
        var options = ListContainerOptions.Builder.prefix(prefix).recursive();
        for (var page = store.list(bucket, options); ; page = store.list(bucket, options.afterMarker(
                page.getNextMarker()))) {
            page.stream().filter(m -> m.getType() == StorageType.BLOB)
                    .forEach(m -> keys.add(m.getName()));
            if (page.getNextMarker() == null) {
                return keys;
            }
        }
    }

    /** Deletes every object under {@code prefix} in {@code bucket}, behind the server's back. */
    public void delete(String bucket, String prefix) {
        keys(bucket, prefix).forEach(k -> context.getBlobStore().removeBlob(bucket, k));
    }

    /** The store goes away (an outage): connections are refused until {@link #resume}. */
    public void pause() throws Exception {
        proxy.stop();
    }

    /** Serves again on the same port, with the same stored objects. */
    public void resume() throws Exception {
        proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(endpoint())
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        proxy.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> "STARTED".equals(proxy.getState()));
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public StorageProperties.S3 settings(String bucket, String partSize, boolean createBucket) {
        return new StorageProperties.S3(endpoint(), "us-east-1", bucket, "fedmerge/", ACCESS_KEY, SECRET_KEY, true,
                DataSize.parse(partSize), createBucket);
    }

    public S3Client client() {
        return S3Clients.connect(settings("unused", "5MB", false));
    }

    /** Hub arguments that put every blob of a hub in {@code bucket} on this server. */
    public String[] hubArgs(String bucket) {
        return new String[] {"--fedmerge.hub.storage.type=s3", "--fedmerge.hub.storage.s3.endpoint=" + endpoint(),
            "--fedmerge.hub.storage.s3.bucket=" + bucket, "--fedmerge.hub.storage.s3.access-key=" + ACCESS_KEY,
            "--fedmerge.hub.storage.s3.secret-key=" + SECRET_KEY, "--fedmerge.hub.storage.s3.create-bucket=true",
            "--fedmerge.hub.storage.s3.part-size=5MB"};
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("s3proxy did not stop", e);
        } finally {
            context.close();
        }
    }
}
