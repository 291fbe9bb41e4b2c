package io.fedmerge.hub.security;

import io.fedmerge.hub.HubException;
import io.fedmerge.hub.node.Node;
import io.grpc.Context;

/** The authenticated node of the current gRPC call, set by {@link NodeAuthInterceptor}. */
public final class NodeContext {
    static final Context.Key<Node> NODE = Context.key("fedmerge-node");

    private NodeContext() {}

    public static Node current() {
        Node n = NODE.get();
        if (n == null) {
            throw HubException.unauthenticated("this call needs a node credential");
        }
        return n;
    }
}
