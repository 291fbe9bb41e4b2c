package io.fedmerge.hub.transfer;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.google.protobuf.InvalidProtocolBufferException;
import io.fedmerge.hub.HubException;
import io.fedmerge.hub.model.BaseModel;
import io.fedmerge.proto.v1.TaskVectorManifest;
import io.fedmerge.proto.v1.TensorSpec;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * Hostile BeginUpload manifests (whatever bytes a node sends): decoded and accepted, or refused with a
 * {@link HubException} before any bulk byte moves; any other exception is a finding. The seed corpus holds
 * {@link #valid()}'s encoding and variants of it; ./run-tests replays it.
 */
class ManifestFuzzTest {
    static final String DIGEST = "ab".repeat(32);
    static final BaseModel BASE = new BaseModel("base-id", "base", Path.of("base"), DIGEST, List.of(
            new BaseModel.TensorEntry("model.embed_tokens.weight", "BF16", List.of(256L, 64L)),
            new BaseModel.TensorEntry("model.norm.weight", "BF16", List.of(64L))), Instant.EPOCH);

    @FuzzTest(maxDuration = "60s")
    void manifest(@NotNull byte[] bytes) {
        TaskVectorManifest m;
        try {
            m = TaskVectorManifest.parseFrom(bytes);
        } catch (InvalidProtocolBufferException notAManifest) {
            return; // gRPC refuses it before the service sees it
        }
        try {
            ManifestCheck.check(m, BASE, 1L << 30);
        } catch (HubException expected) {
            // refused, with a status and a message
        }
    }

    @Test
    void theCorpusStartsFromAnAcceptedManifest() {
        // the seed must pass the check, or the fuzzer would only ever explore the first refusal
        assertThatCode(() -> ManifestCheck.check(valid(), BASE, 1L << 30)).doesNotThrowAnyException();
    }

    /** The valid manifest the corpus starts from. */
    static TaskVectorManifest valid() {
        return TaskVectorManifest.newBuilder().setBaseDigest(DIGEST).setSha256("cd".repeat(32))
                .setTotalBytes(8 + 256 * 64 * 4 + 64 * 4 + 200)
                .addTensors(TensorSpec.newBuilder().setName("model.embed_tokens.weight").setDtype("F32")
                        .addShape(256).addShape(64).setByteLength(256 * 64 * 4))
                .addTensors(TensorSpec.newBuilder().setName("model.norm.weight").setDtype("F32").addShape(64)
                        .setByteLength(64 * 4))
                .build();
    }
}
