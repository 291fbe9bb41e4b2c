package io.fedmerge.hub.node;

import io.fedmerge.hub.security.GrpcErrors;
import io.fedmerge.proto.v1.EnrollRequest;
import io.fedmerge.proto.v1.EnrollResponse;
import io.fedmerge.proto.v1.EnrollmentServiceGrpc;
import io.grpc.stub.StreamObserver;
import org.springframework.stereotype.Service;

@Service
class EnrollmentGrpcService extends EnrollmentServiceGrpc.EnrollmentServiceImplBase {
    private final NodeRegistry nodes;

    EnrollmentGrpcService(NodeRegistry nodes) {
        this.nodes = nodes;
    }

    @Override
    public void enroll(EnrollRequest request, StreamObserver<EnrollResponse> response) {
        try {
            NodeRegistry.Enrollment e = nodes.enroll(request.getToken(), request.getNodeName());
            response.onNext(EnrollResponse.newBuilder().setNodeId(e.nodeId()).setCredential(e.credential()).build());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.of(e));
        }
    }
}
