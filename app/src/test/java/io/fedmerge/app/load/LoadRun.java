package io.fedmerge.app.load;

import io.fedmerge.app.HubProcess;
import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.edge.Contributor;
import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.ModelInstaller;
import io.fedmerge.edge.RetryPolicy;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * N hospitals at once against one hub or two replicas, as a hospital network's busiest hour looks: every edge
 * enrolls, contributes its fine-tune (XOR-coded, decoded and verified by the hub at commit), and, once the round has
 * merged all N, downloads and installs the result — all of them at the same moment, on loopback. Measured: the
 * latency of each CommitUpload as the edge sees it (the hub's whole verification), of each contribution and each
 * installation, the errors (the goal is none), and the hubs' peak resident memory.
 */
final class LoadRun {
    /** Latencies in milliseconds, sorted. */
    record Latencies(List<Double> millis) {
        double percentile(double p) {
            if (millis.isEmpty()) {
                return Double.NaN;
            }
            int i = (int) Math.ceil(p / 100 * millis.size()) - 1;
            return millis.get(Math.max(0, Math.min(millis.size() - 1, i)));
        }
    }

    record Report(int edges, int hubs, Latencies commit, Latencies contribute, Latencies install, List<String> errors,
            long mergeMillis, List<Long> hubPeakRssBytes, long contributionBytes) {
        String summary() {
            return String.format("load: %d edges, %d hub(s): commit p50 %.0f ms p99 %.0f ms; contribute p50 %.0f ms"
                    + " p99 %.0f ms; install p50 %.0f ms p99 %.0f ms; merge %d ms; errors %d; hub peak RSS %s MiB",
                    edges, hubs, commit.percentile(50), commit.percentile(99), contribute.percentile(50),
                    contribute.percentile(99), install.percentile(50), install.percentile(99), mergeMillis,
                    errors.size(), hubPeakRssBytes.stream().map(b -> "" + (b >> 20)).toList());
        }
    }

    private static final int VARIANTS = 5;
    private static final RetryPolicy PATIENT = new RetryPolicy(Duration.ofMinutes(3), Integer.MAX_VALUE,
            Duration.ofMillis(200), Duration.ofSeconds(2));
    private final Path dir;
    private final Path models;
    private final PrintStream log;

    /** Generates the base and {@value #VARIANTS} fine-tunes the edges take turns with (about 3 MB each, bf16). */
    LoadRun(Path dir, PrintStream log) {
        this.dir = dir;
        this.log = log;
        this.models = dir.resolve("models");
        new CheckpointGenerator().generate(models, new CheckpointGenerator.Options(
                new ModelShape(256, 2, 4, 2, 768, 2048), VARIANTS, 3, DType.BF16,
                CheckpointWriter.DEFAULT_SHARD_BYTES, 0, 2), MergeProgress.NONE);
    }

    Path models() {
        return models;
    }

    /** One round with {@code edges} contributors, spread over {@code hubs} round-robin. */
    Report run(String name, List<HubProcess> hubs, int edges) throws Exception {
        hubs.getFirst().admin().post("/api/v1/base-models", Map.of("name", "base", "path",
                models.resolve("base").toAbsolutePath().toString()));
        String round = hubs.getFirst().admin().post("/api/v1/rounds", Map.of("baseModel", "base", "mergeMethod",
                "task_arithmetic", "modelParameters", Map.of("weight", 1.0 / edges), "minContributions", edges))
                .path("round").path("id").asString();
        Queue q = new Queue();
        List<EdgeConfig> nodes = Collections.synchronizedList(new ArrayList<>(Collections.nCopies(edges, null)));
        long[] contributionBytes = new long[1];
        allAtOnce(edges, q.errors, e -> {
            HubProcess hub = hubs.get(e % hubs.size());
            EdgeConfig node = hub.admin().enrollNode(hub.grpcTarget(), name + "-hospital-" + e);
            nodes.set(e, node);
            long t = System.nanoTime();
            try (HubClient c = client(hub, node, q.commit)) {
                Contributor.Result r = new Contributor().contribute(c, round, models.resolve("base"),
                        models.resolve("hospital-" + (1 + e % VARIANTS)), dir.resolve("work-" + e),
                        (total, done) -> { });
                synchronized (contributionBytes) {
                    contributionBytes[0] += r.manifest().getTotalBytes();
                }
            }
            q.contribute.add(millisSince(t));
        });
        log.printf("%s: %d contributions committed, %d errors%n", name, q.contribute.size(), q.errors.size());
        long t = System.nanoTime();
        hubs.getFirst().admin().post("/api/v1/rounds/" + round + "/trigger", null);
        String digest = hubs.getFirst().admin().awaitRound(round, "PUBLISHED", Duration.ofMinutes(5))
                .path("artifact").path("checkpointDigest").asString();
        long mergeMillis = (System.nanoTime() - t) / 1_000_000;
        allAtOnce(edges, q.errors, e -> {
            HubProcess hub = hubs.get(e % hubs.size());
            long s = System.nanoTime();
            try (HubClient c = client(hub, nodes.get(e), null)) {
                ModelInstaller.Installed in = new ModelInstaller().install(c, round,
                        dir.resolve(name + "-installed-" + e), n -> { });
                if (!in.digest().equals(digest)) {
                    q.errors.add("edge " + e + " installed " + in.digest() + ", published " + digest);
                }
            }
            q.install.add(millisSince(s));
        });
        List<Long> rss = new ArrayList<>();
        for (HubProcess h : hubs) {
            rss.add(h.peakRssBytes());
        }
        return new Report(edges, hubs.size(), sorted(q.commit), sorted(q.contribute), sorted(q.install),
                List.copyOf(q.errors), mergeMillis, rss, contributionBytes[0]);
    }

    /** What the edges' threads record, concurrently. */
    private static final class Queue {
        final ConcurrentLinkedQueue<Double> commit = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Double> contribute = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Double> install = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    }

    /** What one edge does in a phase. */
    private interface EdgeTask {
        void run(int edge) throws Exception;
    }

    /** Every edge's task on its own virtual thread, all released at the same moment; failures become errors. */
    private static void allAtOnce(int edges, ConcurrentLinkedQueue<String> errors, EdgeTask task) throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < edges; i++) {
                int e = i;
                all.add(pool.submit(() -> {
                    start.await();
                    task.run(e);
                    return null;
                }));
            }
            start.countDown();
            collect(all, errors);
        }
    }

    private static void collect(List<Future<?>> all, ConcurrentLinkedQueue<String> errors) throws Exception {
        for (Future<?> f : all) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                errors.add(String.valueOf(e.getCause()));
            }
        }
    }

    /** The edge's client on its own channel; {@code commits} receives the latency of every CommitUpload. */
    private static HubClient client(HubProcess hub, EdgeConfig node, ConcurrentLinkedQueue<Double> commits) {
        NettyChannelBuilder b = NettyChannelBuilder.forTarget(hub.grpcTarget()).usePlaintext()
                .maxInboundMessageSize(8 << 20).flowControlWindow(8 << 20);
        if (commits != null) {
            b.intercept(new CommitTimer(commits));
        }
        return new HubClient(b.build(), node.credential(), PATIENT);
    }

    private static double millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1e6;
    }

    private static Latencies sorted(ConcurrentLinkedQueue<Double> q) {
        List<Double> l = new ArrayList<>(q);
        Collections.sort(l);
        return new Latencies(List.copyOf(l));
    }

    /** Times CommitUpload from the call's start to its close, as the edge waits for it. */
    private record CommitTimer(ConcurrentLinkedQueue<Double> commits) implements ClientInterceptor {
        @Override
        public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
            ClientCall<Q, A> call = next.newCall(method, options);
            if (!method.getBareMethodName().equals("CommitUpload")) {
                return call;
            }
            return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
                @Override
                public void start(Listener<A> listener, Metadata headers) {
                    long t = System.nanoTime();
                    super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                        @Override
                        public void onClose(Status status, Metadata trailers) {
                            if (status.isOk()) {
                                commits.add(millisSince(t));
                            }
                            super.onClose(status, trailers);
                        }
                    }, headers);
                }
            };
        }
    }
}
