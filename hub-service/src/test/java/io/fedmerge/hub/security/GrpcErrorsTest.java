package io.fedmerge.hub.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.InvalidSafetensorsException;
import io.fedmerge.hub.HubException;
import io.grpc.Status;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What a node is told never says where the hub keeps its files, and never grows without bound. */
class GrpcErrorsTest {
    @Test
    void absolutePathsInMergeCoreMessagesAreRedacted() {
        var e = new InvalidSafetensorsException(Path.of("/var/lib/fedmerge/spool/3f2a/upload.safetensors"),
                "header length 99 exceeds the file");
        Status s = GrpcErrors.of(e).getStatus();
        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).isEqualTo("<hub path>: header length 99 exceeds the file");
    }

    @Test
    void quotedAndParenthesisedPathsAreRedactedAndTheRestKept() {
        String m = GrpcErrors.redact("cannot open '/data/blobs/rounds/r1/x' (from /data/work/r1) for round r1;"
                + " 3/4 done, see tensor model.layers.0.mlp");
        assertThat(m).isEqualTo("cannot open '<hub path>' (from <hub path>) for round r1; 3/4 done, see tensor"
                + " model.layers.0.mlp");
    }

    @Test
    void hubExceptionsKeepTheirStatusAndLongDescriptionsAreCut() {
        Status s = GrpcErrors.of(HubException.notFound("no round " + "r".repeat(5000))).getStatus();
        assertThat(s.getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(s.getDescription()).hasSize(GrpcErrors.MAX_DESCRIPTION + 1).startsWith("no round rrr");
        assertThat(GrpcErrors.of(new FedmergeException("plain")).getStatus().getDescription()).isEqualTo("plain");
    }

    @Test
    void unexpectedErrorsSayOnlyTheirKind() {
        Status s = GrpcErrors.of(new IllegalStateException("secret /etc/shadow")).getStatus();
        assertThat(s.getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(s.getDescription()).doesNotContain("/etc", "secret");
    }
}
