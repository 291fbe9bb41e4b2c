package io.fedmerge.hub.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.hub.TestHub;
import io.fedmerge.proto.v1.EnrollmentServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every method of every service the running gRPC server binds, called with an empty message and no credential, a
 * forged one and a revoked node's: all are refused UNAUTHENTICATED before any service code runs, except Enroll
 * (which has no credential yet and checks its token) and the standard health check.
 */
class GrpcMethodsRequireCredentialTest {
    static final Set<String> ANONYMOUS = Set.of(EnrollmentServiceGrpc.getEnrollMethod().getFullMethodName(),
            "grpc.health.v1.Health/Check", "grpc.health.v1.Health/Watch", "grpc.health.v1.Health/List");

    @TempDir
    static Path dir;
    static TestHub hub;

    @BeforeAll
    static void start() {
        hub = TestHub.start(dir);
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    static List<String> boundMethods() {
        List<String> methods = new ArrayList<>();
        for (ServerServiceDefinition service : hub.grpcServer().getServices()) {
            for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
                methods.add(m.getMethodDescriptor().getFullMethodName());
            }
        }
        return methods;
    }

    @Test
    void theServerBindsTheFedmergeServicesReflectionAndHealth() {
        assertThat(boundMethods()).contains("fedmerge.v1.ContributionService/UploadChunks",
                "fedmerge.v1.ModelService/DownloadFile", "fedmerge.v1.RoundService/WatchRounds",
                "fedmerge.v1.EnrollmentService/RenewCertificate", "grpc.health.v1.Health/Check")
                .anyMatch(m -> m.startsWith("grpc.reflection."));
    }

    @Test
    void everyMethodButEnrollAndHealthRefusesCallsWithoutAValidCredential() {
        var revoked = hub.enroll("revoked-node");
        hub.bean(io.fedmerge.hub.node.NodeRegistry.class).revoke(revoked.nodeId(), "test");
        ManagedChannel ch = hub.channel();
        SoftAssertions soft = new SoftAssertions();
        int checked = 0;
        for (String method : boundMethods()) {
            if (ANONYMOUS.contains(method)) {
                continue;
            }
            for (String credential : new String[] {null, "fmn_forged", revoked.credential()}) {
                Channel c = credential == null ? ch : TestHub.as(ch, credential);
                Status s = callWithEmptyMessage(c, method);
                soft.assertThat(s.getCode()).as("%s with credential %s", method, credential)
                        .isEqualTo(Status.Code.UNAUTHENTICATED);
                checked++;
            }
        }
        soft.assertAll();
        assertThat(checked).isGreaterThanOrEqualTo(3 * 9);
    }

    @Test
    void theAnonymousMethodsAreExactlyEnrollAndHealth() {
        ManagedChannel ch = hub.channel();
        assertThat(callWithEmptyMessage(ch, "grpc.health.v1.Health/Check").getCode()).isEqualTo(Status.Code.OK);
        // Enroll without a token is refused by Enroll itself, after it checked the (empty) name.
        Status enroll = callWithEmptyMessage(ch, EnrollmentServiceGrpc.getEnrollMethod().getFullMethodName());
        assertThat(enroll.getCode()).isIn(Status.Code.INVALID_ARGUMENT, Status.Code.UNAUTHENTICATED);
        assertThat(boundMethods()).filteredOn(ANONYMOUS::contains).isNotEmpty()
                .allMatch(m -> m.startsWith("grpc.health.v1.") || m.endsWith("/Enroll"));
    }

    /** Sends one empty message (valid for every proto type) and half-closes; the call's final status. */
    static Status callWithEmptyMessage(Channel channel, String fullMethodName) {
        MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNKNOWN).setFullMethodName(fullMethodName)
                .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
        ClientCall<byte[], byte[]> call = channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(10,
                TimeUnit.SECONDS));
        CompletableFuture<Status> done = new CompletableFuture<>();
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onMessage(byte[] message) {
                // A streaming method that answered (health Watch): the status decides.
                call.cancel("one message is enough", null);
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                done.complete(status);
            }
        }, new Metadata());
        call.request(1);
        call.sendMessage(new byte[0]);
        call.halfClose();
        Status s = done.join();
        return s.getCode() == Status.Code.CANCELLED && "one message is enough".equals(s.getDescription())
                ? Status.OK : s;
    }

    static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
}
