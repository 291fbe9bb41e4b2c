package io.fedmerge.hub.transfer;

import io.grpc.netty.NettyServerBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.server.ServerBuilderCustomizer;

/**
 * A larger HTTP/2 flow-control window than grpc-java's 1 MiB default: with 1 MiB chunks the default lets barely one
 * chunk be in flight, so bulk transfers wait a round trip per chunk. 8 MiB keeps a few chunks moving while still
 * bounding what the hub buffers per stream.
 */
@Configuration(proxyBeanMethods = false)
class TransportTuning {
    static final int FLOW_CONTROL_WINDOW = 8 << 20;

    @Bean
    ServerBuilderCustomizer<NettyServerBuilder> flowControlWindow() {
        return builder -> builder.flowControlWindow(FLOW_CONTROL_WINDOW);
    }
}
