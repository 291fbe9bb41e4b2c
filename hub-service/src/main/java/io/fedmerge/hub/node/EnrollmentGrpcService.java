package io.fedmerge.hub.node;

import io.fedmerge.hub.pki.NodeCertificateAuthority;
import io.fedmerge.hub.security.GrpcErrors;
import io.fedmerge.hub.security.NodeContext;
import io.fedmerge.proto.v1.EnrollRequest;
import io.fedmerge.proto.v1.EnrollResponse;
import io.fedmerge.proto.v1.EnrollmentServiceGrpc;
import io.fedmerge.proto.v1.RenewCertificateRequest;
import io.fedmerge.proto.v1.RenewCertificateResponse;
import io.grpc.stub.StreamObserver;
import org.springframework.stereotype.Service;

@Service
class EnrollmentGrpcService extends EnrollmentServiceGrpc.EnrollmentServiceImplBase {
    private final NodeRegistry nodes;
    private final NodeCertificateAuthority ca;

    EnrollmentGrpcService(NodeRegistry nodes, NodeCertificateAuthority ca) {
        this.nodes = nodes;
        this.ca = ca;
    }

    @Override
    public void enroll(EnrollRequest request, StreamObserver<EnrollResponse> response) {
        try {
            ca.check(request.getCsrPem()); // before the token is spent
            NodeRegistry.Enrollment e = nodes.enroll(request.getToken(), request.getNodeName());
            EnrollResponse.Builder r = EnrollResponse.newBuilder().setNodeId(e.nodeId()).setCredential(e.credential());
            if (ca.enabled()) {
                r.addAllCertificateChainPem(ca.issue(e.nodeId(), request.getCsrPem()).chainPem());
            }
            response.onNext(r.build());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.of(e));
        }
    }

    @Override
    public void renewCertificate(RenewCertificateRequest request, StreamObserver<RenewCertificateResponse> response) {
        try {
            NodeCertificateAuthority.Issued issued = ca.issue(NodeContext.current().id(), request.getCsrPem());
            response.onNext(RenewCertificateResponse.newBuilder().addAllCertificateChainPem(issued.chainPem())
                    .setNotAfter(issued.notAfter().toString()).build());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.of(e));
        }
    }
}
