package io.fedmerge.hub;

import io.fedmerge.hub.node.NodeRegistry;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;

/**
 * A real hub for this module's tests: embedded H2 and files under a temporary directory, the admin API, the
 * management port and gRPC on free loopback ports, and the gRPC server it bound (to enumerate its services).
 */
public final class TestHub implements AutoCloseable {
    public static final String ADMIN_TOKEN = "test-admin-token";
    private final ConfigurableApplicationContext context;
    private final Server grpc;
    private final List<ManagedChannel> channels = new ArrayList<>();

    private TestHub(ConfigurableApplicationContext context, Server grpc) {
        this.context = context;
        this.grpc = grpc;
    }

    /** Starts a hub with data under {@code dir}; {@code extra} are more {@code --key=value} settings. */
    public static TestHub start(Path dir, String... extra) {
        AtomicReference<Server> server = new AtomicReference<>();
        SpringApplication app = new SpringApplication(HubApplication.class);
        app.addListeners((ApplicationListener<GrpcServerStartedEvent>) e -> server.set(e.getServer()));
        List<String> args = new ArrayList<>(List.of("--fedmerge.hub.data-dir=" + dir.toAbsolutePath(),
                "--fedmerge.hub.admin-token=" + ADMIN_TOKEN, "--server.port=0", "--management.server.port=0",
                "--spring.grpc.server.port=0", "--spring.main.banner-mode=off"));
        args.addAll(List.of(extra));
        ConfigurableApplicationContext context = app.run(args.toArray(String[]::new));
        return new TestHub(context, server.get());
    }

    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    public int httpPort() {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    public int managementPort() {
        return Integer.parseInt(context.getEnvironment().getProperty("local.management.port"));
    }

    public int grpcPort() {
        return grpc.getPort();
    }

    /** The running gRPC server, as bound (services, methods, port). */
    public Server grpcServer() {
        return grpc;
    }

    /** A plaintext channel to the hub's gRPC port, closed with the hub. */
    public ManagedChannel channel() {
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort()).usePlaintext().build();
        channels.add(ch);
        return ch;
    }

    /** The channel with "authorization: Bearer credential" on every call. */
    public static Channel as(Channel channel, String credential) {
        Metadata h = new Metadata();
        h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + credential);
        return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(h));
    }

    /** Enrolls a node the way Enroll does (token minted by the admin, spent once). */
    public NodeRegistry.Enrollment enroll(String name) {
        NodeRegistry nodes = bean(NodeRegistry.class);
        return nodes.enroll(nodes.issueToken(Duration.ofMinutes(5), name, "test").token(), name);
    }

    @Override
    public void close() {
        channels.forEach(ManagedChannel::shutdownNow);
        context.close();
    }
}
