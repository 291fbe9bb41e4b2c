package io.fedmerge.hub.security;

import io.fedmerge.hub.node.Node;
import io.fedmerge.hub.node.NodeRegistry;
import io.fedmerge.proto.v1.EnrollmentServiceGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Optional;
import org.springframework.grpc.server.GlobalServerInterceptor;
import org.springframework.stereotype.Component;

/**
 * The one place every gRPC call is authenticated: "authorization: Bearer &lt;node credential&gt;" must name an enrolled,
 * non-revoked node. Only Enroll (which has no credential yet) and the standard health check are exempt.
 */
@Component
@GlobalServerInterceptor
public class NodeAuthInterceptor implements ServerInterceptor {
    static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final NodeRegistry nodes;

    NodeAuthInterceptor(NodeRegistry nodes) {
        this.nodes = nodes;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        if (method.startsWith(EnrollmentServiceGrpc.SERVICE_NAME + "/") || method.startsWith("grpc.health.v1.")) {
            return next.startCall(call, headers);
        }
        String header = headers.get(AUTHORIZATION);
        if (header == null || !header.startsWith("Bearer ")) {
            call.close(Status.UNAUTHENTICATED.withDescription("missing node credential: send 'authorization: Bearer"
                    + " <credential>' (run 'fedmerge edge enroll' first)"), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        Optional<Node> node = nodes.authenticate(header.substring("Bearer ".length()).trim());
        if (node.isEmpty()) {
            call.close(Status.UNAUTHENTICATED.withDescription("node credential not recognised or revoked; ask the"
                    + " hub admin, then enroll again"), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        Context ctx = Context.current().withValue(NodeContext.NODE, node.get());
        return Contexts.interceptCall(ctx, call, headers, next);
    }
}
