package io.fedmerge.hub.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.hub.HubApplication;
import io.fedmerge.hub.TestHub;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;

/** A generated admin token can be handed over in an owner-only file instead of on the console. */
class AdminTokenFileTest {
    @TempDir
    Path dir;

    @Test
    void theGeneratedTokenIsWrittenOnceOwnerOnlyWorksAndIsNeverPrinted() throws Exception {
        Path file = dir.resolve("secrets/admin-token");
        PrintStream console = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        String token;
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try (var context = SpringApplication.run(HubApplication.class, "--fedmerge.hub.data-dir=" + dir.resolve("hub"),
                "--fedmerge.hub.admin-token-file=" + file, "--server.port=0", "--management.server.port=0",
                "--spring.grpc.server.port=0", "--spring.main.banner-mode=off")) {
            token = Files.readString(file).strip();
            assertThat(token).startsWith("fma_").hasSizeGreaterThan(40);
            assertThat(Files.getPosixFilePermissions(file)).isEqualTo(Set.of(PosixFilePermission.OWNER_READ,
                    PosixFilePermission.OWNER_WRITE));
            int port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
            assertThat(RawHttp.send(port, "GET", "/api/v1/nodes", token).status()).isEqualTo(200);
            assertThat(RawHttp.send(port, "GET", "/api/v1/nodes", TestHub.ADMIN_TOKEN).status()).isEqualTo(401);
        } finally {
            System.setOut(console);
        }
        assertThat(printed.toString(StandardCharsets.UTF_8)).doesNotContain(token);
        // Only its hash is stored; a second start generates nothing new.
        Files.delete(file);
        try (var context = SpringApplication.run(HubApplication.class, "--fedmerge.hub.data-dir=" + dir.resolve("hub"),
                "--fedmerge.hub.admin-token-file=" + file, "--server.port=0", "--management.server.port=0",
                "--spring.grpc.server.port=0", "--spring.main.banner-mode=off")) {
            assertThat(file).doesNotExist();
        }
    }
}
