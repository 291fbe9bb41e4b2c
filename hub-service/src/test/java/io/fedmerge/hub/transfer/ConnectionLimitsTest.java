package io.fedmerge.hub.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedmerge.hub.TestHub;
import io.fedmerge.proto.v1.EnrollRequest;
import io.fedmerge.proto.v1.EnrollmentServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections that hold resources without doing anything are closed: 100 raw HTTP/2 connections that send the
 * client preface and then nothing, and connections that never finish the handshake. The server also announces its
 * per-connection stream limit in its SETTINGS frame.
 */
class ConnectionLimitsTest {
    static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /** An empty SETTINGS frame: length 0, type 4, no flags, stream 0. */
    static final byte[] EMPTY_SETTINGS = {0, 0, 0, 4, 0, 0, 0, 0, 0};

    @TempDir
    static Path dir;
    static TestHub hub;

    @BeforeAll
    static void start() {
        hub = TestHub.start(dir, "--spring.grpc.server.keepalive.connection.max-idle-time=1s",
                "--fedmerge.hub.grpc.handshake-timeout=1s", "--fedmerge.hub.grpc.max-concurrent-calls-per-connection=7");
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    static Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", hub.grpcPort());
        s.setSoTimeout(200);
        return s;
    }

    /** True once the server closed the connection (end of stream or reset). */
    static boolean closedByServer(Socket s) {
        try {
            InputStream in = s.getInputStream();
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void connectionsThatSendThePrefaceAndThenNothingAreClosed() throws Exception {
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 100; i++) {
                Socket s = connect();
                s.getOutputStream().write(PREFACE);
                s.getOutputStream().write(EMPTY_SETTINGS);
                s.getOutputStream().flush();
                idle.add(s);
            }
            // A legitimate caller is served meanwhile.
            var enroll = EnrollmentServiceGrpc.newBlockingStub(hub.channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
            try {
                enroll.enroll(EnrollRequest.newBuilder().setToken("fmt_unknown").setNodeName("n").build());
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> idle.stream().allMatch(ConnectionLimitsTest::closedByServer));
        } finally {
            for (Socket s : idle) {
                s.close();
            }
        }
    }

    @Test
    void connectionsThatNeverSendThePrefaceAreClosed() throws Exception {
        List<Socket> silent = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                silent.add(connect());
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> silent.stream().allMatch(ConnectionLimitsTest::closedByServer));
        } finally {
            for (Socket s : silent) {
                s.close();
            }
        }
    }

    @Test
    void theServerAnnouncesItsStreamLimitAndFlowControlWindow() throws Exception {
        try (Socket s = connect()) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(PREFACE);
            s.getOutputStream().write(EMPTY_SETTINGS);
            s.getOutputStream().flush();
            Map<Integer, Long> settings = readSettings(new DataInputStream(s.getInputStream()));
            assertThat(settings).containsEntry(0x3, 7L) // SETTINGS_MAX_CONCURRENT_STREAMS
                    .containsEntry(0x4, (long) TransportTuning.FLOW_CONTROL_WINDOW); // SETTINGS_INITIAL_WINDOW_SIZE
        }
    }

    /** Reads frames until the server's first non-ACK SETTINGS frame (RFC 9113 §6.5) and returns its entries. */
    static Map<Integer, Long> readSettings(DataInputStream in) throws IOException {
        while (true) {
            int length = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            in.readInt();
            byte[] payload = in.readNBytes(length);
            if (type == 4 && (flags & 1) == 0) {
                Map<Integer, Long> entries = new HashMap<>();
                DataInputStream p = new DataInputStream(new java.io.ByteArrayInputStream(payload));
                for (int i = 0; i < length / 6; i++) {
                    entries.put(p.readUnsignedShort(), p.readInt() & 0xFFFFFFFFL);
                }
                return entries;
            }
        }
    }
}
