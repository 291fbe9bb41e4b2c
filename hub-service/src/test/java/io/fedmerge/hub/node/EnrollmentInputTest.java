package io.fedmerge.hub.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.hub.TestHub;
import io.fedmerge.proto.v1.EnrollRequest;
import io.fedmerge.proto.v1.EnrollmentServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Enroll is the one call without a credential, so its inputs are checked before they are used or echoed. */
class EnrollmentInputTest {
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

    @Test
    void aHundredKilobyteNodeNameIsRefusedWithoutBeingEchoedAndTheTokenIsNotSpent() {
        NodeRegistry nodes = hub.bean(NodeRegistry.class);
        String token = nodes.issueToken(Duration.ofMinutes(5), null, "test").token();
        String huge = "n".repeat(100_000);
        var stub = EnrollmentServiceGrpc.newBlockingStub(hub.channel());
        assertThatThrownBy(() -> stub.enroll(EnrollRequest.newBuilder().setToken(token).setNodeName(huge).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).isEqualTo("node name is 100000 characters long;"
                            + " at most 100 are allowed");
                });
        assertThat(stub.enroll(EnrollRequest.newBuilder().setToken(token).setNodeName("short-name").build())
                .getNodeId()).isNotBlank();
    }
}
