package io.fedmerge.app;

import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.FileTrees;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.taskvector.TaskVectorBuilder;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.edge.ModelInstaller;
import io.fedmerge.proto.v1.TaskVectorManifest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Upload and download throughput of a multi-GB task vector over loopback gRPC, each against a raw TCP socket copy of
 * the same bytes into a file (the physical limit of the box) measured in the same run, and the hub's peak resident
 * memory while three such uploads run at once. The hub runs as its own process so its memory is its own.
 */
public final class TransferBenchmark {
    public record Report(long taskVectorBytes, double rawUploadSeconds, double uploadSeconds, long artifactBytes,
            double rawDownloadSeconds, double downloadSeconds, double concurrentSeconds, long hubPeakRssBytes,
            String hubHeap) {
        public double uploadRatio() {
            return rawUploadSeconds / uploadSeconds;
        }

        public double downloadRatio() {
            return rawDownloadSeconds / downloadSeconds;
        }
    }

    public Report run(Path work, int layers, String hubHeap, List<String> hubArgs, java.io.PrintStream log)
            throws Exception {
        Path models = work.resolve("models");
        Path tv = work.resolve("task-vector.safetensors");
        if (!Files.exists(tv)) {
            FileTrees.deleteRecursively(models);
            log.printf("generating mistral-7b shapes with %d layers and a float32 task vector%n", layers);
            new CheckpointGenerator().generate(models, new CheckpointGenerator.Options(
                    ModelShape.preset("mistral-7b").withLayers(layers), 1, 9, DType.BF16,
                    CheckpointWriter.DEFAULT_SHARD_BYTES, 0, 2), MergeProgress.NONE);
            new TaskVectorBuilder().build(models.resolve("base"), models.resolve("hospital-1"), tv, DType.F32,
                    MergeProgress.NONE);
        }
        long tvBytes = Files.size(tv);
        TaskVectorManifest manifest = Manifests.of(tv);
        FileTrees.deleteRecursively(work.resolve("hub"));
        try (HubProcess hub = HubProcess.start(work.resolve("hub"), models, hubHeap, hubArgs, Map.of())) {
            AdminApi admin = hub.admin();
            admin.post("/api/v1/base-models", Map.of("name", "base", "path",
                    models.resolve("base").toAbsolutePath().toString()));
            List<EdgeConfig> nodes = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                nodes.add(admin.enrollNode(hub.grpcTarget(), "node-" + i));
            }
            String single = round(admin, 1);
            double raw = rawCopy(tv, work.resolve("raw-copy"));
            long t0 = System.nanoTime();
            upload(nodes.get(0), single, tv, manifest);
            double up = (System.nanoTime() - t0) / 1e9;
            log.printf("upload %.2f s vs raw socket %.2f s: ratio %.2f%n", up, raw, raw / up);
            String concurrent = round(admin, 3);
            long c0 = System.nanoTime();
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                EdgeConfig n = nodes.get(i);
                all.add(CompletableFuture.runAsync(() -> upload(n, concurrent, tv, manifest)));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
            double both = (System.nanoTime() - c0) / 1e9;
            long rss = hub.peakRssBytes();
            log.printf("3 concurrent uploads %.2f s, hub peak RSS %d MB%n", both, rss >> 20);
            admin.post("/api/v1/rounds/" + single + "/trigger", null);
            admin.awaitRound(single, "PUBLISHED", java.time.Duration.ofMinutes(10));
            // The baseline copies the installed file (the artifact's exact bytes), so any blob store compares.
            Path installed = work.resolve("installed");
            FileTrees.deleteRecursively(installed);
            long d0 = System.nanoTime();
            try (HubClient c = nodes.get(0).client()) {
                new ModelInstaller().install(c, single, installed, n -> { });
            }
            double down = (System.nanoTime() - d0) / 1e9;
            Path artifact = installed.resolve("model.safetensors");
            long artifactBytes = Files.size(artifact);
            double rawDown = rawCopy(artifact, work.resolve("raw-copy-2"));
            FileTrees.deleteRecursively(installed);
            log.printf("download %.2f s vs raw socket %.2f s: ratio %.2f%n", down, rawDown, rawDown / down);
            return new Report(tvBytes, raw, up, artifactBytes, rawDown, down, both, rss, hubHeap);
        }
    }

    private static String round(AdminApi admin, int min) {
        return admin.post("/api/v1/rounds", Map.of("baseModel", "base", "mergeMethod", "task_arithmetic",
                "modelParameters", Map.of("weight", 1), "minContributions", min)).path("round").path("id").asString();
    }

    private static void upload(EdgeConfig node, String round, Path tv, TaskVectorManifest manifest) {
        try (HubClient c = node.client()) {
            c.upload(round, tv, manifest, n -> { });
        }
    }

    /** Sends a file through a loopback TCP socket into another file, 1 MiB at a time; returns seconds. */
    static double rawCopy(Path from, Path to) throws Exception {
        Files.deleteIfExists(to);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> receiver = CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream();
                        OutputStream out = Files.newOutputStream(to)) {
                    in.transferTo(out);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            long t0 = System.nanoTime();
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                    InputStream in = Files.newInputStream(from); OutputStream out = s.getOutputStream()) {
                byte[] buf = new byte[1 << 20];
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                }
            }
            receiver.join();
            double seconds = (System.nanoTime() - t0) / 1e9;
            Files.delete(to);
            return seconds;
        }
    }
}
