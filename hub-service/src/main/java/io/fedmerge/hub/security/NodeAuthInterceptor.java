package io.fedmerge.hub.security;

import io.fedmerge.hub.AuditLog;
import io.fedmerge.hub.metrics.HubMetrics;
import io.fedmerge.hub.node.Node;
import io.fedmerge.hub.node.NodeRegistry;
import io.fedmerge.proto.v1.EnrollmentServiceGrpc;
import io.fedmerge.hub.pki.NodeCertificateAuthority;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.springframework.grpc.server.GlobalServerInterceptor;
import org.springframework.stereotype.Component;

/**
 * The one place every gRPC call is authenticated: "authorization: Bearer &lt;node credential&gt;" must name an
 * enrolled, non-revoked node and, with mutual TLS on, the TLS client certificate must be one the hub issued to that
 * same node and has not revoked. Only Enroll (which has no credential yet) and the standard health check are exempt.
 */
@Component
@GlobalServerInterceptor
public class NodeAuthInterceptor implements ServerInterceptor {
    static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final NodeRegistry nodes;
    private final NodeCertificateAuthority ca;
    private final HubMetrics metrics;

    NodeAuthInterceptor(NodeRegistry nodes, NodeCertificateAuthority ca, HubMetrics metrics) {
        this.nodes = nodes;
        this.ca = ca;
        this.metrics = metrics;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        if (method.equals(EnrollmentServiceGrpc.getEnrollMethod().getFullMethodName())
                || method.startsWith("grpc.health.v1.")) {
            return next.startCall(call, headers);
        }
        String header = headers.get(AUTHORIZATION);
        if (header == null || !header.startsWith("Bearer ")) {
            metrics.callRefused("credential");
            call.close(Status.UNAUTHENTICATED.withDescription("missing node credential: send 'authorization: Bearer"
                    + " <credential>' (run 'fedmerge edge enroll' first)"), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        Optional<Node> node = nodes.authenticate(header.substring("Bearer ".length()).trim());
        if (node.isEmpty()) {
            metrics.callRefused("credential");
            call.close(Status.UNAUTHENTICATED.withDescription("node credential not recognised or revoked; ask the"
                    + " hub admin, then enroll again"), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        X509Certificate[] peer = ca.enabled() ? peerCertificates(call) : null;
        String nodeId = node.get().id();
        Supplier<Optional<String>> check = () -> {
            if (nodes.node(nodeId).map(Node::revoked).orElse(true)) {
                return Optional.of("node " + nodeId + " was revoked; ask the hub admin, then enroll again");
            }
            return ca.enabled() ? ca.refusal(peer, nodeId) : Optional.empty();
        };
        if (ca.enabled()) {
            Optional<String> refused = ca.refusal(peer, nodeId);
            if (refused.isPresent()) {
                metrics.callRefused("certificate");
                call.close(Status.UNAUTHENTICATED.withDescription(refused.get()), new Metadata());
                return new ServerCall.Listener<>() {};
            }
        }
        Context ctx = Context.current().withValue(NodeContext.NODE, node.get()).withValue(NodeContext.RECHECK, check)
                .withValue(AuditLog.GRPC_SOURCE, remoteAddress(call));
        return Contexts.interceptCall(ctx, call, headers, next);
    }

    /** The peer's IP address (no port: audit entries say where from, not which connection). */
    private static String remoteAddress(ServerCall<?, ?> call) {
        java.net.SocketAddress a = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        return a instanceof java.net.InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getHostAddress() : a == null ? null : a.toString();
    }

    private static X509Certificate[] peerCertificates(ServerCall<?, ?> call) {
        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (session == null) {
            return null;
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            return Arrays.stream(chain).filter(X509Certificate.class::isInstance).map(X509Certificate.class::cast)
                    .toArray(X509Certificate[]::new);
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }
}
