package io.fedmerge.hub.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.hub.AdminHttp;
import io.fedmerge.hub.TestHub;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base models come only from the models root. Here the root is {@code <tmp>/models} and the hub's data directory
 * {@code <tmp>/hub}, a sibling: a path outside the root, through '..', through a symbolic link, or into the data
 * directory (another round's published artifact) is refused naming the root, and a file that is not a checkpoint is
 * refused without quoting any of its bytes.
 */
class BaseModelRegistrationTest {
    @TempDir
    static Path dir;
    static Path root;
    static TestHub hub;
    static AdminHttp admin;

    @BeforeAll
    static void start() throws Exception {
        root = Files.createDirectories(dir.resolve("models"));
        new CheckpointGenerator().generate(root.resolve("tiny"), new CheckpointGenerator.Options(
                ModelShape.preset("tiny"), 0, 5, DType.BF16, CheckpointWriter.DEFAULT_SHARD_BYTES, 0, 1),
                MergeProgress.NONE);
        hub = TestHub.start(dir.resolve("hub"), "--fedmerge.hub.models-root=" + root);
        admin = new AdminHttp(hub, TestHub.ADMIN_TOKEN);
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    static AdminHttp.Reply register(String name, String path) {
        return admin.post("/api/v1/base-models", Map.of("name", name, "path", path));
    }

    @Test
    void aCheckpointInsideTheRootRegistersByRelativeOrAbsolutePathAndIsShownRelativeToIt() {
        AdminHttp.Reply relative = register("tiny-relative", "tiny/base");
        assertThat(relative.status()).isEqualTo(201);
        assertThat(relative.body().path("path").asString()).isEqualTo("tiny/base");
        AdminHttp.Reply absolute = register("tiny-absolute", root.resolve("tiny/base").toString());
        assertThat(absolute.status()).isEqualTo(201);
        assertThat(absolute.body().path("digest").asString())
                .isEqualTo(relative.body().path("digest").asString());
    }

    @Test
    void aPathOutsideTheRootIsRefusedNamingTheRootAndNothingOfTheFile() throws Exception {
        AdminHttp.Reply passwd = register("passwd", "/etc/passwd");
        assertThat(passwd.status()).isEqualTo(400);
        assertThat(passwd.detail()).contains("only from inside the models root " + root.toRealPath());
        assertThat(passwd.body().path("reason").asString()).isEqualTo("outside_models_root");
        AdminHttp.Reply dotdot = register("dotdot", "tiny/../../hub");
        assertThat(dotdot.status()).isEqualTo(400);
        assertThat(dotdot.detail()).contains("models root");
    }

    @Test
    void aSymbolicLinkOutOfTheRootIsRefused() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("elsewhere"));
        Files.createSymbolicLink(root.resolve("escape"), outside);
        AdminHttp.Reply r = register("escape", "escape");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.detail()).contains("resolves (through a symbolic link) outside the models root");
    }

    @Test
    void aCheckpointWhoseFilesLinkOutOfTheRootIsRefused() throws Exception {
        Path copy = Files.createDirectories(root.resolve("linked"));
        for (String f : new String[] {"model.safetensors", "config.json"}) {
            Files.copy(root.resolve("tiny/base").resolve(f), copy.resolve(f));
        }
        // The merge would copy this file into the published artifact: a way to read any file the hub can.
        Files.createSymbolicLink(copy.resolve("README.md"), Path.of("/etc/hostname"));
        AdminHttp.Reply r = register("linked", "linked");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.detail()).contains("linked/README.md", "outside the models root");
    }

    @Test
    void anotherRoundsArtifactInTheDataDirectoryIsRefused() throws Exception {
        Path wide = dir.resolve("wide");
        try (TestHub wideHub = TestHub.start(wide.resolve("hub"), "--fedmerge.hub.models-root=" + wide)) {
            Path artifact = Files.createDirectories(wide.resolve("hub/blobs/rounds/r1/artifact"));
            Files.copy(root.resolve("tiny/base/model.safetensors"), artifact.resolve("model.safetensors"));
            AdminHttp.Reply r = new AdminHttp(wideHub, TestHub.ADMIN_TOKEN).post("/api/v1/base-models",
                    Map.of("name", "stolen", "path", artifact.toString()));
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.detail()).contains("inside the hub's data directory", "models root " + wide.toRealPath());
        }
    }

    @Test
    void theDataDirectoryCannotBeTheModelsRoot() {
        Path data = dir.resolve("same");
        assertThatThrownBy(() -> TestHub.start(data, "--fedmerge.hub.models-root=" + data))
                .hasStackTraceContaining("must be a directory of its own, not the data directory");
    }

    @Test
    void aFileThatIsNotACheckpointIsRefusedWithoutQuotingItsBytes() throws Exception {
        // Eight bytes that a careless message would print as a header length, and a body worth stealing.
        byte[] secret = "root:x:0:0:secret-hash:/root:/bin/bash\n".getBytes(StandardCharsets.US_ASCII);
        Path file = Files.write(root.resolve("passwd.safetensors"), secret);
        long asLength = ByteBuffer.wrap(secret, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        AdminHttp.Reply r = register("not-a-model", "passwd.safetensors");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body().path("reason").asString()).isEqualTo("not_a_checkpoint");
        assertThat(r.detail()).contains("'passwd.safetensors' is not a safetensors checkpoint")
                .doesNotContain(Long.toUnsignedString(asLength), Long.toString(asLength), "root:x", "secret-hash",
                        file.getParent().toString());
    }

    @Test
    void namesAreCheckedBeforeAnythingIsRead() {
        AdminHttp.Reply r = register("x".repeat(100_000), "tiny/base");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.detail()).contains("100000 characters long").hasSizeLessThan(200);
        assertThat(register("../evil", "tiny/base").detail()).contains("must be letters, digits");
    }
}
