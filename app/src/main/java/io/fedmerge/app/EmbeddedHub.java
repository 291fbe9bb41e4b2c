package io.fedmerge.app;

import io.fedmerge.hub.HubApplication;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;

/** A hub started in this JVM on free loopback ports (the demo; tests of the whole system). */
public final class EmbeddedHub implements AutoCloseable {
    private final ConfigurableApplicationContext context;
    private final int httpPort;
    private final int grpcPort;
    private final String adminToken;

    private EmbeddedHub(ConfigurableApplicationContext context, int httpPort, int grpcPort, String adminToken) {
        this.context = context;
        this.httpPort = httpPort;
        this.grpcPort = grpcPort;
        this.adminToken = adminToken;
    }

    public static EmbeddedHub start(Path dataDir, String adminToken, String... extra) {
        int http = freePort();
        int grpc = freePort();
        SpringApplication app = new SpringApplication(HubApplication.class);
        app.setWebApplicationType(WebApplicationType.SERVLET);
        String[] args = new String[4 + extra.length];
        args[0] = "--fedmerge.hub.data-dir=" + dataDir.toAbsolutePath();
        args[1] = "--fedmerge.hub.admin-token=" + adminToken;
        args[2] = "--server.port=" + http;
        args[3] = "--spring.grpc.server.port=" + grpc;
        System.arraycopy(extra, 0, args, 4, extra.length);
        return new EmbeddedHub(app.run(args), http, grpc, adminToken);
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }

    public String grpcTarget() {
        return "127.0.0.1:" + grpcPort;
    }

    public AdminApi admin() {
        return new AdminApi("http://127.0.0.1:" + httpPort, adminToken);
    }

    public ConfigurableApplicationContext context() {
        return context;
    }

    @Override
    public void close() {
        context.close();
    }
}
