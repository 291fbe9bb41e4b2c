package io.fedmerge.hub.transfer;

import io.fedmerge.hub.HubProperties;
import java.util.concurrent.TimeUnit;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.server.ServerBuilderCustomizer;

/**
 * The gRPC server's transport settings beyond Spring gRPC's properties (its keep-alive and connection idle/age
 * limits are set in application.yaml):
 * <ul>
 *   <li>a larger HTTP/2 flow-control window than grpc-java's 1 MiB default: with 1 MiB chunks the default lets
 *       barely one chunk be in flight, so bulk transfers wait a round trip per chunk. 8 MiB keeps a few chunks
 *       moving while still bounding what the hub buffers per stream;</li>
 *   <li>a handshake deadline, so a peer that connects and never completes TLS or the HTTP/2 preface is dropped;</li>
 *   <li>a cap on concurrent calls per connection, so one connection cannot open unbounded streams.</li>
 * </ul>
 * Spring gRPC serves on shaded Netty when grpc-netty-shaded is on the class path (the app has it for the edge) and
 * on plain Netty otherwise; a customizer applies only to its own builder type, so there is one for each.
 */
@Configuration(proxyBeanMethods = false)
class TransportTuning {
    static final int FLOW_CONTROL_WINDOW = 8 << 20;

    @Bean
    ServerBuilderCustomizer<io.grpc.netty.NettyServerBuilder> nettyTransportLimits(HubProperties properties) {
        HubProperties.Grpc grpc = properties.grpc();
        return builder -> builder.flowControlWindow(FLOW_CONTROL_WINDOW)
                .handshakeTimeout(grpc.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .maxConcurrentCallsPerConnection(grpc.maxConcurrentCallsPerConnection());
    }

    @Bean
    ServerBuilderCustomizer<io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder> shadedNettyTransportLimits(
            HubProperties properties) {
        HubProperties.Grpc grpc = properties.grpc();
        return builder -> builder.flowControlWindow(FLOW_CONTROL_WINDOW)
                .handshakeTimeout(grpc.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .maxConcurrentCallsPerConnection(grpc.maxConcurrentCallsPerConnection());
    }
}
