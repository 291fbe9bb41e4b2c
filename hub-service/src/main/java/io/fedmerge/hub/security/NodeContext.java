package io.fedmerge.hub.security;

import io.fedmerge.hub.HubException;
import io.fedmerge.hub.node.Node;
import io.grpc.Context;
import java.util.Optional;
import java.util.function.Supplier;

/** The authenticated node of the current gRPC call, set by {@link NodeAuthInterceptor}. */
public final class NodeContext {
    static final Context.Key<Node> NODE = Context.key("fedmerge-node");
    /** Checks again whether the call's node and certificate may still act (for streams that outlive a revocation). */
    static final Context.Key<Supplier<Optional<String>>> RECHECK = Context.key("fedmerge-recheck");

    private NodeContext() {}

    public static Node current() {
        Node n = NODE.get();
        if (n == null) {
            throw HubException.unauthenticated("this call needs a node credential");
        }
        return n;
    }

    /**
     * Why the current call's node may no longer act (revoked since the call started, or its certificate was), or
     * empty. Long-lived streams ask this periodically, so a revocation ends them too.
     */
    public static Optional<String> refusalNow() {
        return recheck().get();
    }

    /** The current call's re-check, to be run later from threads that do not carry the call's context. */
    public static Supplier<Optional<String>> recheck() {
        Supplier<Optional<String>> check = RECHECK.get();
        return check == null ? Optional::empty : check;
    }
}
