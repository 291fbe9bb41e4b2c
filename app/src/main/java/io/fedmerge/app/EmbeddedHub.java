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
    private final int managementPort;
    private final String adminToken;

    private EmbeddedHub(ConfigurableApplicationContext context, int httpPort, int grpcPort, int managementPort,
            String adminToken) {
        this.context = context;
        this.httpPort = httpPort;
        this.grpcPort = grpcPort;
        this.managementPort = managementPort;
        this.adminToken = adminToken;
    }

    /** The loopback ports a hub listens on. */
    public record Ports(int http, int grpc, int management) {
        static Ports free() {
            return new Ports(freePort(), freePort(), freePort());
        }
    }

    /** A hub with its admin API, gRPC and management (Actuator) ports on free loopback ports. */
    public static EmbeddedHub start(Path dataDir, String adminToken, String... extra) {
        return start(dataDir, adminToken, Ports.free(), extra);
    }

    /** A hub on the given ports (a restart on the ports its nodes already know). */
    public static EmbeddedHub start(Path dataDir, String adminToken, Ports ports, String... extra) {
        int http = ports.http();
        int grpc = ports.grpc();
        int management = ports.management();
        SpringApplication app = new SpringApplication(HubApplication.class);
        app.setWebApplicationType(WebApplicationType.SERVLET);
        String[] args = new String[5 + extra.length];
        args[0] = "--fedmerge.hub.data-dir=" + dataDir.toAbsolutePath();
        args[1] = "--fedmerge.hub.admin-token=" + adminToken;
        args[2] = "--server.port=" + http;
        args[3] = "--spring.grpc.server.port=" + grpc;
        args[4] = "--management.server.port=" + management;
        System.arraycopy(extra, 0, args, 5, extra.length);
        return new EmbeddedHub(app.run(args), http, grpc, management, adminToken);
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

    /** The admin API's base URL (http://127.0.0.1:PORT). */
    public String httpUrl() {
        return "http://127.0.0.1:" + httpPort;
    }

    public int managementPort() {
        return managementPort;
    }

    public Ports ports() {
        return new Ports(httpPort, grpcPort, managementPort);
    }

    /** The management port's base URL: probes and the Prometheus scrape under /actuator. */
    public String managementUrl() {
        return "http://127.0.0.1:" + managementPort;
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
