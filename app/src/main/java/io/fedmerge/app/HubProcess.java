package io.fedmerge.app;

import io.fedmerge.core.FedmergeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The hub as a child JVM on the same classpath: its memory is its own (peak RSS from /proc), and it can be killed
 * with SIGKILL and started again on the same ports and data, as a crashed hub is (benchmarks, fault campaigns).
 */
public final class HubProcess implements AutoCloseable {
    private final List<String> command;
    private final Map<String, String> environment;
    private final Path log;
    private final EmbeddedHub.Ports ports;
    private final String token;
    private Process process;

    private HubProcess(List<String> command, Map<String, String> environment, Path log, EmbeddedHub.Ports ports,
            String token) {
        this.command = command;
        this.environment = environment;
        this.log = log;
        this.ports = ports;
        this.token = token;
    }

    /**
     * Starts a hub on free loopback ports with its data in {@code dataDir}, base models registrable from
     * {@code models}, and {@code extra} settings; {@code env} adds environment variables (secrets go there, never on
     * a command line that every user sees in ps).
     */
    public static HubProcess start(Path dataDir, Path models, String heap, List<String> extra, Map<String, String> env)
            throws Exception {
        EmbeddedHub.Ports ports = EmbeddedHub.Ports.free();
        // replicas of one hub share their admin token: give it in env as FEDMERGE_HUB_ADMIN_TOKEN
        String token = env.getOrDefault("FEDMERGE_HUB_ADMIN_TOKEN", io.fedmerge.hub.security.Secrets.newSecret("fma_"));
        String java = ProcessHandle.current().info().command().orElse("java");
        Files.createDirectories(dataDir);
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heap, "-XX:+ExitOnOutOfMemoryError",
                "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Fedmerge.class.getName(), "hub", "--data-dir", dataDir.toString(), "--port", "" + ports.http(),
                "--grpc-port", "" + ports.grpc(), "--management.server.port=" + ports.management(),
                "--fedmerge.hub.models-root=" + models.toAbsolutePath(),
                "--fedmerge.hub.max-upload-bytes=64GB", "--spring.main.banner-mode=off",
                "--logging.level.root=WARN"));
        cmd.addAll(extra);
        Map<String, String> environment = new java.util.HashMap<>(env);
        environment.put("FEDMERGE_HUB_ADMIN_TOKEN", token);
        HubProcess hub = new HubProcess(List.copyOf(cmd), Map.copyOf(environment), dataDir.resolve("hub.log"), ports,
                token);
        hub.launch();
        return hub;
    }

    private void launch() throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(environment);
        process = builder.start();
        awaitUp(Duration.ofMinutes(2));
    }

    /**
     * Polls until the admin API answers and the gRPC port accepts connections (the two servers start separately):
     * a hub is up once it serves both, whatever its start-up logs say.
     */
    private void awaitUp(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new FedmergeException("hub exited with " + process.exitValue() + " at start; see " + log
                        + ", which ends with:\n" + tail(log, 15));
            }
            try {
                admin().get("/api/v1/rounds");
                if (grpcListening()) {
                    return;
                }
            } catch (FedmergeException notYet) {
                // not serving yet
            }
            Thread.sleep(100);
        }
        close();
        throw new FedmergeException("hub did not start within " + timeout.toSeconds() + " s; see " + log);
    }

    /** The last lines of a file, for an error message (a temporary directory may be gone when it is read). */
    private static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private boolean grpcListening() {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), ports.grpc()), 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** SIGKILL, as a crash or an OOM killer would: no shutdown hook runs, nothing is flushed. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** Starts the hub again on the same ports, data and settings (after {@link #kill()} or {@link #close()}). */
    public void restart() throws Exception {
        if (process.isAlive()) {
            throw new IllegalStateException("the hub is still running");
        }
        launch();
    }

    public boolean alive() {
        return process.isAlive();
    }

    public AdminApi admin() {
        return new AdminApi("http://127.0.0.1:" + ports.http(), token);
    }

    public String grpcTarget() {
        return "127.0.0.1:" + ports.grpc();
    }

    public int grpcPort() {
        return ports.grpc();
    }

    public long peakRssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
            }
        }
        return -1;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
