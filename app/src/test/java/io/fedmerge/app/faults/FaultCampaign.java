package io.fedmerge.app.faults;

import io.fedmerge.app.AdminApi;
import io.fedmerge.app.HubProcess;
import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.config.MergeConfigParser;
import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointDigest;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.FileTrees;
import io.fedmerge.core.method.MethodRegistry;
import io.fedmerge.core.plan.MergeExecutor;
import io.fedmerge.core.plan.MergePlan;
import io.fedmerge.core.plan.MergePlanner;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.taskvector.TaskVectorBuilder;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.edge.ModelInstaller;
import io.fedmerge.edge.RetryPolicy;
import io.fedmerge.hub.storage.Tmpfs;
import io.fedmerge.proto.v1.TaskVectorManifest;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;

/**
 * Seeded, reproducible fault trials against real hub processes on loopback. Each trial opens a round, two hospitals
 * contribute through a {@link CuttingProxy}, the round is triggered and the model installed, while one fault strikes
 * at a random point: SIGKILL of the hub at a random byte of the uploads, SIGKILL while it merges or publishes,
 * connections cut at random bytes of uploads and download, (with PostgreSQL) one of two replicas killed
 * mid-upload, or (where a tmpfs can be mounted) the hub's data volume filled by another process mid-upload. After each trial the invariants of docs/RELIABILITY.md are checked and every violation is counted.
 */
final class FaultCampaign implements AutoCloseable {
    enum Fault { KILL_DURING_UPLOAD, KILL_DURING_MERGE, CONNECTION_CUTS, REPLICA_KILLED, DISK_FULL }

    /** What one trial did and what broke; {@code violations} is empty when every invariant held. */
    record Trial(int index, Fault fault, String detail, String state, long resentBytes, long recoveryMillis,
            List<String> violations) {}

    /** Upper bound on bytes an upload may send twice per fault: what can be in flight and not yet stored (the
     *  8 MiB HTTP/2 window, 4 MiB queued by the client, and a chunk being written)... */
    static final long IN_FLIGHT_BOUND = 14L << 20;
    /** ...plus, on S3, the two part buffers a stream holds before they are stored (part size 5 MB here). */
    static final long S3_BUFFER_BOUND = 10L << 20;

    private static final Duration PATIENCE = Duration.ofMinutes(3);
    /** Edges retry with backoff capped at 2 s (the default caps at 30 s), so recovery measures the hub, not a
     *  client asleep in its backoff. */
    private static final RetryPolicy EDGE_RETRY = new RetryPolicy(PATIENCE, Integer.MAX_VALUE,
            Duration.ofMillis(200), Duration.ofSeconds(2));
    private final Path dir;
    private final Path models;
    private final List<Path> taskVectors = new ArrayList<>();
    private final List<TaskVectorManifest> manifests = new ArrayList<>();
    private final ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();
    private final PrintStream log;
    private Hubs single;
    private Hubs replicas;
    private final Tmpfs disk;
    private Hubs onSmallDisk;
    /** The disk-full hub's reserve: what it never hands out, so its database can always write. */
    static final long DISK_RESERVE = 64L << 20;

    /** The keys of the blobs stored under a prefix. */
    interface BlobKeys {
        List<String> under(String prefix) throws IOException;

        /**
         * Forgets what a finished trial left on purpose (a published artifact, which retention keeps by design): an
         * in-memory S3 double keeps every object in the test JVM's heap, and the disk-full hub's small volume fills
         * with them (a 200-trial campaign ran it out of room after 150 trials).
         */
        default void forget(String prefix) {}
    }

    /** A hub's filesystem blob store, read and pruned as an operator would prune old models. */
    private record FilesOnDisk(Path root) implements BlobKeys {
        @Override
        public List<String> under(String prefix) throws IOException {
            return filesUnder(root, prefix);
        }

        @Override
        public void forget(String prefix) {
            io.fedmerge.core.io.FileTrees.deleteRecursively(root.resolve(prefix).resolve("artifact"));
        }
    }

    /**
     * @param replicaArgs settings that make two hubs replicas of one (shared PostgreSQL and S3), or null
     * @param replicaBlobs what the replicas' S3 bucket holds
     * @param disk a volume of its own for the disk-full trials' hub, or null (then there are none)
     */
    FaultCampaign(Path dir, Map<String, String> replicaEnv, List<String> replicaArgs, BlobKeys replicaBlobs,
            Tmpfs disk, PrintStream log) throws Exception {
        this.dir = dir;
        this.disk = disk;
        this.log = log;
        this.models = dir.resolve("models");
        // 58 MB float32 task vectors: many 1 MiB chunks, so a fault can land anywhere in an upload.
        new CheckpointGenerator().generate(models, new CheckpointGenerator.Options(
                new ModelShape(512, 4, 8, 4, 1536, 2048), 3, 7, DType.BF16, CheckpointWriter.DEFAULT_SHARD_BYTES,
                0, 2), MergeProgress.NONE);
        for (int h = 1; h <= 3; h++) {
            Path tv = models.resolve("tv-" + h + ".safetensors");
            new TaskVectorBuilder().build(models.resolve("base"), models.resolve("hospital-" + h), tv, DType.F32,
                    MergeProgress.NONE);
            taskVectors.add(tv);
            manifests.add(Manifests.of(tv));
        }
        Path singleBlobs = dir.resolve("single/hub-0/blobs");
        single = Hubs.start("single", dir.resolve("single"), models, Map.of(), List.of(), 1,
                new FilesOnDisk(singleBlobs));
        if (replicaArgs != null) {
            replicas = Hubs.start("replicas", dir.resolve("replicas"), models, replicaEnv, replicaArgs, 2,
                    replicaBlobs);
        }
        if (disk != null) {
            Path blobs = disk.path().resolve("hub-0/blobs");
            // A merge the full disk failed is retried (as an admin would): keep its contributions for a few seconds.
            onSmallDisk = Hubs.start("disk", disk.path(), models, Map.of(), List.of(
                    "--fedmerge.hub.disk.reserve=" + DISK_RESERVE + "B", "--fedmerge.hub.retention.ended-rounds=10s"),
                    1, new FilesOnDisk(blobs));
        }
    }

    List<Fault> faults() {
        List<Fault> faults = new ArrayList<>(List.of(Fault.KILL_DURING_UPLOAD, Fault.KILL_DURING_MERGE,
                Fault.CONNECTION_CUTS));
        if (replicas != null) {
            faults.add(Fault.REPLICA_KILLED);
        }
        if (onSmallDisk != null) {
            faults.add(Fault.DISK_FULL);
        }
        return faults;
    }

    /** Trial {@code index} of the campaign seeded {@code seed}: the same pair always replays the same faults. */
    Trial run(long seed, int index) throws Exception {
        List<Fault> faults = faults();
        Fault fault = faults.get(index % faults.size());
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + index);
        Hubs hubs = switch (fault) {
            case REPLICA_KILLED -> replicas;
            case DISK_FULL -> onSmallDisk;
            default -> single;
        };
        Trial t = new TrialRun(hubs, fault, random, index).run();
        log.printf("trial %d %s %s: %s, resent %d B, recovery %d ms%s%n", index, fault, t.detail(), t.state(),
                t.resentBytes(), t.recoveryMillis(), t.violations().isEmpty() ? "" : " VIOLATIONS " + t.violations());
        return t;
    }

    /** One trial's state: which hospitals contribute, where the fault is, what happened. */
    private final class TrialRun {
        final Hubs hubs;
        final Fault fault;
        final SplittableRandom random;
        final int index;
        final List<String> violations = new ArrayList<>();
        volatile long faultAt;
        /** The disk filler of a DISK_FULL trial, done once the volume is free again. */
        volatile java.util.concurrent.Future<Void> filler;
        long endedAt;
        long installedAt;
        String detail = "";

        TrialRun(Hubs hubs, Fault fault, SplittableRandom random, int index) {
            this.hubs = hubs;
            this.fault = fault;
            this.random = random;
            this.index = index;
        }

        Trial run() throws Exception {
            int first = random.nextInt(3);
            int second = (first + 1 + random.nextInt(2)) % 3;
            int[] hospitals = {first, second};
            String method = random.nextBoolean() ? "task_arithmetic" : "ties";
            Map<String, Object> params = method.equals("ties") ? Map.of("weight", 0.5, "density", 0.5)
                    : Map.of("weight", 0.5);
            String round = hubs.call(a -> a.post("/api/v1/rounds", Map.of("baseModel", "base", "mergeMethod",
                    method, "modelParameters", params, "minContributions", 2))).path("round").path("id").asString();
            long uploadBytes = 0;
            for (int h : hospitals) {
                uploadBytes += manifests.get(h).getTotalBytes();
            }
            scheduleTransferFault(uploadBytes, Files.size(models.resolve("base/model.safetensors")));
            long resent = 0;
            int attempts = 0;
            for (int h : hospitals) {
                EdgeConfig node = hubs.nodes.get(h);
                try (HubClient c = new HubClient(hubs.proxy.target(), node.credential(), null, null,
                        EDGE_RETRY)) {
                    HubClient.Uploaded u = c.upload(round, taskVectors.get(h), manifests.get(h), n -> { });
                    attempts += u.attempts();
                    long again = u.bytesSent() - manifests.get(h).getTotalBytes();
                    resent += again;
                    long bound = IN_FLIGHT_BOUND + (hubs == replicas ? S3_BUFFER_BOUND : 0);
                    if (again > bound * Math.max(1, u.attempts() - 1)) {
                        violations.add("upload of hospital-" + (h + 1) + " sent " + again
                                + " bytes twice: more than was ever in flight");
                    }
                }
            }
            detail += ", " + attempts + " upload attempts";
            if (hubs.proxy.tripPending() && fault != Fault.CONNECTION_CUTS) {
                hubs.proxy.disarm();
            }
            hubs.call(a -> a.post("/api/v1/rounds/" + round + "/trigger", null));
            if (fault == Fault.KILL_DURING_MERGE) {
                killDuringMerge(round);
            }
            JsonNode ended = awaitEnd(round);
            if (fault == Fault.DISK_FULL && ended.path("state").asString().equals("FAILED") && filler != null) {
                // A merge the full disk failed is what POST /retry is for, once the space is back.
                filler.get();
                detail += " (" + ended.path("reason").asString() + "; retried)";
                hubs.call(a -> a.post("/api/v1/rounds/" + round + "/retry", null));
                ended = awaitEnd(round);
            }
            endedAt = System.nanoTime();
            String state = ended.path("state").asString();
            if (state.equals("PUBLISHED")) {
                checkPublished(round, hospitals);
            } else if (state.equals("FAILED") && !ended.path("reason").asString().isBlank()) {
                detail += " (failed: " + ended.path("reason").asString() + ")";
            } else {
                violations.add("round ended " + state + " without a reason: " + ended);
            }
            if (hubs.proxy.tripPending()) {
                detail += " (the last cut fell beyond the transfers)";
            }
            // from the fault to the end of what it struck: the round, or the download when it hit that
            long recovery = faultAt == 0 ? 0 : ((faultAt > endedAt ? installedAt : endedAt) - faultAt) / 1_000_000;
            hubs.proxy.disarm();
            hubs.reviveAll();
            checkNoOrphans(round, state);
            hubs.blobs.forget(hubs.blobPrefix + "rounds/" + round + "/");
            return new Trial(index, fault, detail.strip(), state, resent, recovery, List.copyOf(violations));
        }

        private void scheduleTransferFault(long uploadBytes, long modelBytes) {
            switch (fault) {
                case KILL_DURING_UPLOAD -> {
                    long at = random.nextLong(uploadBytes);
                    detail = "kill at byte " + at;
                    hubs.proxy.tripAfter(at, () -> {
                        faultAt = System.nanoTime();
                        hubs.kill(0);
                        background.submit(() -> hubs.revive(0));
                    });
                }
                case REPLICA_KILLED -> {
                    long at = random.nextLong(uploadBytes);
                    detail = "replica 0 killed at byte " + at;
                    hubs.proxy.tripAfter(at, () -> {
                        faultAt = System.nanoTime();
                        hubs.kill(0); // the proxy sends new connections to the survivor
                    });
                }
                case CONNECTION_CUTS -> {
                    int cuts = 1 + random.nextInt(3);
                    // anywhere in the two uploads and the model's download
                    long span = uploadBytes + modelBytes;
                    long[] at = random.longs(cuts, 0, span).sorted().toArray();
                    detail = cuts + " cut(s) at " + java.util.Arrays.toString(at);
                    chainCuts(at, 0, 0);
                }
                case DISK_FULL -> {
                    long at = random.nextLong(uploadBytes);
                    long leave = random.nextLong(8L << 20);
                    long hold = 500 + random.nextLong(2000);
                    detail = "disk full at byte " + at + " for " + hold + " ms";
                    hubs.proxy.tripAfter(at, () -> {
                        faultAt = System.nanoTime();
                        filler = background.submit(() -> fillFor(leave, hold));
                    });
                }
                case KILL_DURING_MERGE -> { }
            }
        }

        /** Another process fills the volume to the reserve plus {@code leave} bytes, and frees it after {@code hold}. */
        private Void fillFor(long leave, long hold) throws IOException {
            Path junk = disk.fillLeaving(DISK_RESERVE + leave);
            try {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(hold));
            } finally {
                Files.delete(junk);
            }
            return null;
        }

        private void chainCuts(long[] at, int next, long previous) {
            if (next == at.length) {
                return;
            }
            hubs.proxy.tripAfter(at[next] - previous, () -> {
                if (faultAt == 0) {
                    faultAt = System.nanoTime();
                }
                hubs.proxy.cutAll();
                chainCuts(at, next + 1, at[next]);
            });
        }

        private void killDuringMerge(String round) throws Exception {
            // a merge of these models takes a few hundred ms: kill anywhere from its start to just after publish
            long delay = random.nextLong(400);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(delay));
            String before = hubs.call(a -> a.get("/api/v1/rounds/" + round)).path("round").path("state").asString();
            faultAt = System.nanoTime();
            hubs.kill(0);
            detail = "kill " + delay + " ms after trigger, round was " + before;
            hubs.revive(0);
        }

        private JsonNode awaitEnd(String round) throws Exception {
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (true) {
                JsonNode r = hubs.tryCall(a -> a.get("/api/v1/rounds/" + round));
                String state = r == null ? "" : r.path("round").path("state").asString();
                if (state.equals("PUBLISHED") || state.equals("FAILED") || state.equals("CANCELLED")) {
                    return r.path("round");
                }
                if (System.nanoTime() > deadline) {
                    violations.add("round " + round + " still " + state + " after " + PATIENCE.toMinutes()
                            + " min");
                    return r == null ? tools.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                            : r.path("round");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
        }

        /** The installed model is the artifact, and the artifact is the offline merge of the committed inputs. */
        private void checkPublished(String round, int[] hospitals) throws Exception {
            Path installed = dir.resolve("installed-" + index);
            try (HubClient c = new HubClient(hubs.proxy.target(), hubs.nodes.get(hospitals[0]).credential(), null,
                    null, EDGE_RETRY)) {
                ModelInstaller.Installed inst = new ModelInstaller().install(c, round, installed, n -> { });
                installedAt = System.nanoTime();
                String published = hubs.call(a -> a.get("/api/v1/rounds/" + round + "/artifact"))
                        .path("checkpointDigest").asString();
                if (!inst.digest().equals(published)) {
                    violations.add("installed digest " + inst.digest() + " is not the published " + published);
                }
                String offline = offlineMerge(installed.resolve("mergekit_config.yml"), hospitals);
                if (!offline.equals(published)) {
                    violations.add("published " + published + " is not the offline merge " + offline
                            + " of the committed contributions");
                }
            } catch (FedmergeException e) {
                violations.add("install failed: " + e.getMessage());
            } finally {
                FileTrees.deleteRecursively(installed);
            }
        }

        /** Merges in this JVM with the published config, its inputs mapped to the files the hospitals sent. */
        private String offlineMerge(Path config, int[] hospitals) throws IOException {
            Path work = dir.resolve("offline-" + index);
            FileTrees.deleteRecursively(work);
            Files.createDirectories(work.resolve("contributions"));
            try {
                Files.createSymbolicLink(work.resolve("base"), models.resolve("base").toAbsolutePath());
                for (int h : hospitals) {
                    Files.createSymbolicLink(work.resolve("contributions/" + hubs.nodes.get(h).nodeId()
                            + ".safetensors"), taskVectors.get(h).toAbsolutePath());
                }
                Path out = work.resolve("out");
                try (MergePlan plan = new MergePlanner(new MethodRegistry())
                        .plan(MergeConfigParser.parse(Files.readString(config), work))) {
                    new MergeExecutor(2).execute(plan, out, MergeProgress.NONE);
                }
                try (Checkpoint c = Checkpoint.open(out)) {
                    return CheckpointDigest.of(c);
                }
            } finally {
                FileTrees.deleteRecursively(work);
            }
        }

        /** After retention (0 s in the campaign) only a published artifact and its config may remain. */
        private void checkNoOrphans(String round, String state) throws Exception {
            String prefix = hubs.blobPrefix + "rounds/" + round + "/";
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            List<String> left;
            do {
                left = hubs.blobs.under(prefix).stream().map(k -> k.substring(prefix.length()))
                        .filter(k -> !(state.equals("PUBLISHED") && (k.startsWith("artifact/")
                                || k.equals("merge.yml")))).toList();
                if (left.isEmpty()) {
                    return;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            } while (System.nanoTime() < deadline);
            violations.add("blobs left after cleanup: " + left);
        }
    }

    /** Blob keys of the filesystem store: paths under its root. */
    private static List<String> filesUnder(Path root, String prefix) throws IOException {
        Path dir = root.resolve(prefix);
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).toList();
        }
    }

    /** The hub processes of one deployment (one hub, or two replicas), the proxy in front and the enrolled nodes. */
    private static final class Hubs implements AutoCloseable {
        final List<HubProcess> processes = new ArrayList<>();
        final CuttingProxy proxy;
        final List<EdgeConfig> nodes = new ArrayList<>();
        final BlobKeys blobs;
        final String blobPrefix;

        private Hubs(List<HubProcess> processes, BlobKeys blobs, String blobPrefix) throws IOException {
            this.processes.addAll(processes);
            this.blobs = blobs;
            this.blobPrefix = blobPrefix;
            this.proxy = new CuttingProxy(this::liveGrpcPort);
        }

        static Hubs start(String name, Path dir, Path models, Map<String, String> env, List<String> args, int count,
                BlobKeys blobs) throws Exception {
            List<String> all = new ArrayList<>(List.of(
                    // ended rounds lose their contributions at once, so leftovers show within a trial
                    "--fedmerge.hub.retention.ended-rounds=0s", "--fedmerge.hub.retention.sweep-ms=300",
                    // a merge whose replica died is adopted within seconds, not the production 30 s
                    "--fedmerge.hub.merge-lease=3s", "--fedmerge.hub.lease-renewal-ms=1000",
                    "--fedmerge.hub.lease-check-ms=500", "--fedmerge.hub.event-poll-ms=200"));
            // a setting given in args replaces the default above (Spring would read both as a list)
            all.removeIf(d -> args.stream().anyMatch(a -> a.startsWith(d.substring(0, d.indexOf('=') + 1))));
            all.addAll(args);
            List<HubProcess> ps = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                ps.add(HubProcess.start(dir.resolve("hub-" + i), models, "512m", all, env));
            }
            boolean s3 = args.stream().anyMatch(a -> a.equals("--fedmerge.hub.storage.type=s3"));
            Hubs hubs = new Hubs(ps, blobs, s3 ? "fedmerge/" : "");
            AdminApi admin = ps.get(0).admin();
            admin.post("/api/v1/base-models", Map.of("name", "base", "path",
                    models.resolve("base").toAbsolutePath().toString()));
            for (int h = 1; h <= 3; h++) {
                hubs.nodes.add(ps.get(0).admin().enrollNode(hubs.proxy.target(), name + "-hospital-" + h));
            }
            return hubs;
        }

        private int liveGrpcPort() {
            for (HubProcess p : processes) {
                if (p.alive()) {
                    return p.grpcPort();
                }
            }
            return processes.get(0).grpcPort(); // all down: connections are refused until one is back
        }

        void kill(int i) {
            try {
                processes.get(i).kill();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        Void revive(int i) throws Exception {
            if (!processes.get(i).alive()) {
                processes.get(i).restart();
            }
            return null;
        }

        void reviveAll() throws Exception {
            for (int i = 0; i < processes.size(); i++) {
                revive(i);
            }
        }

        interface AdminCall {
            JsonNode apply(AdminApi admin);
        }

        /** The call on the first replica that answers, retried while hubs restart. */
        JsonNode call(AdminCall call) throws Exception {
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (true) {
                FedmergeException last = null;
                for (HubProcess p : processes) {
                    if (!p.alive()) {
                        continue;
                    }
                    try {
                        return call.apply(p.admin());
                    } catch (FedmergeException e) {
                        if (!e.getMessage().contains("unreachable") && !e.getMessage().contains(" 503")) {
                            throw e;
                        }
                        last = e;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw last != null ? last : new FedmergeException("no hub came back");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
        }

        JsonNode tryCall(AdminCall call) {
            try {
                return call(call);
            } catch (Exception e) {
                return null;
            }
        }

        @Override
        public void close() throws IOException {
            proxy.close();
            for (HubProcess p : processes) {
                p.close();
            }
        }
    }

    @Override
    public void close() throws IOException {
        background.shutdownNow();
        single.close();
        if (replicas != null) {
            replicas.close();
        }
        if (onSmallDisk != null) {
            onSmallDisk.close();
        }
    }
}
