package io.fedmerge.app;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointDigest;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.FileTrees;
import io.fedmerge.core.method.MethodRegistry;
import io.fedmerge.core.method.UnitReport;
import io.fedmerge.core.plan.MergeExecutor;
import io.fedmerge.core.plan.MergePlan;
import io.fedmerge.core.plan.MergePlanner;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.plan.MergeResult;
import io.fedmerge.core.taskvector.XorDeltaDecoder;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.edge.Contributor;
import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.ModelInstaller;
import io.fedmerge.hub.round.MergeConfigs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The whole federation on one machine: a hub on embedded defaults, three hospitals' edge agents, two rounds (the
 * paper's hierarchical method and task arithmetic), consolidation, push back, and a check that each installed model
 * is bit-for-bit the offline merge of the same task vectors; then a round with evaluation ({@link EvaluationDemo}).
 */
public final class FederatedDemo {
    public record RoundOutcome(String roundId, String method, String digest, boolean matchesOffline,
            List<UnitReport> units, int contributions) {}

    public record Outcome(List<RoundOutcome> rounds, EvaluationDemo.Result evaluation, List<EdgeConfig> edges,
            long bytesUploaded, long bytesDownloaded, double seconds) {}

    private static final String[] HOSPITALS = {"hospital-a", "hospital-b", "hospital-c"};

    public Outcome run(Path work, ModelShape shape, java.io.PrintStream log) {
        long start = System.nanoTime();
        FileTrees.deleteRecursively(work);
        Path models = work.resolve("models");
        log.printf("generating a %d-layer base model and %d hospital fine-tunes in %s%n", shape.layers(),
                HOSPITALS.length, models);
        new CheckpointGenerator().generate(models, new CheckpointGenerator.Options(shape, HOSPITALS.length, 42,
                DType.BF16, CheckpointWriter.DEFAULT_SHARD_BYTES, 0, Runtime.getRuntime().availableProcessors()),
                MergeProgress.NONE);
        String adminToken = io.fedmerge.hub.security.Secrets.newSecret("fma_");
        try (EmbeddedHub hub = EmbeddedHub.start(work.resolve("hub"), adminToken, "--spring.main.banner-mode=off",
                "--fedmerge.hub.models-root=" + models.toAbsolutePath(),
                "--logging.level.root=WARN")) {
            log.printf("hub running: gRPC %s, admin API with a generated token%n", hub.grpcTarget());
            AdminApi admin = hub.admin();
            admin.post("/api/v1/base-models", Map.of("name", "demo-base", "path",
                    models.resolve("base").toAbsolutePath().toString()));
            List<EdgeConfig> edges = enroll(hub, admin, work, log);
            List<RoundSpec> specs = List.of(
                    new RoundSpec("hierarchical_cosine_ot_lerp", Map.of("granularity", "tensor"), Map.of("weight", 1)),
                    new RoundSpec("task_arithmetic", Map.of(), Map.of("weight", 0.34)));
            long up = 0;
            long down = 0;
            List<RoundOutcome> outcomes = new ArrayList<>();
            for (RoundSpec spec : specs) {
                JsonNode round = admin.post("/api/v1/rounds", Map.of("baseModel", "demo-base", "mergeMethod",
                        spec.method(), "parameters", spec.parameters(), "modelParameters", spec.modelParameters(),
                        "minContributions", HOSPITALS.length)).path("round");
                String id = round.path("id").asString();
                log.printf("round %s opened: %s%n", id, spec.method());
                Path offline = work.resolve("offline-" + spec.method());
                for (int i = 0; i < edges.size(); i++) {
                    EdgeConfig e = edges.get(i);
                    try (HubClient client = e.client()) {
                        Contributor.Result r = new Contributor().contribute(client, id, models.resolve("base"),
                                models.resolve("hospital-" + (i + 1)), work.resolve("edge-" + e.nodeName()), (size, done) -> { });
                        up += r.upload().bytesSent();
                        asTaskVector(r, models.resolve("base"), offline.resolve(MergeConfigs.contribution(e.nodeId())));
                    }
                }
                admin.post("/api/v1/rounds/" + id + "/trigger", null);
                admin.awaitRound(id, "PUBLISHED", java.time.Duration.ofMinutes(2));
                String digest = null;
                for (EdgeConfig e : edges) {
                    try (HubClient client = e.client()) {
                        ModelInstaller.Installed inst = new ModelInstaller().install(client, id,
                                work.resolve("edge-" + e.nodeName()).resolve("models").resolve("round-" + id), n -> { });
                        down += inst.bytesReceived();
                        digest = inst.digest();
                    }
                }
                MergeResult offlineResult = offlineMerge(spec, models.resolve("base"), offline, edges);
                String offlineDigest;
                try (Checkpoint c = Checkpoint.open(offlineResult.output())) {
                    offlineDigest = CheckpointDigest.of(c);
                }
                outcomes.add(new RoundOutcome(id, spec.method(), digest, offlineDigest.equals(digest),
                        offlineResult.units(), edges.size()));
            }
            EvaluationDemo.Result evaluation = EvaluationDemo.run(work, admin, edges, log);
            return new Outcome(outcomes, evaluation, edges, up, down, (System.nanoTime() - start) / 1e9);
        }
    }

    private record RoundSpec(String method, Map<String, Object> parameters, Map<String, Object> modelParameters) {}

    private static List<EdgeConfig> enroll(EmbeddedHub hub, AdminApi admin, Path work, java.io.PrintStream log) {
        List<EdgeConfig> edges = new ArrayList<>();
        for (String name : HOSPITALS) {
            EdgeConfig cfg = admin.enrollNode(hub.grpcTarget(), name);
            cfg.save(work.resolve("edge-" + name).resolve("edge.json"));
            edges.add(cfg);
            log.printf("enrolled %s%n", name);
        }
        return edges;
    }

    /** The same merge the hub ran, from the same task vectors, in the same (node-id) order. */
    private static MergeResult offlineMerge(RoundSpec spec, Path base, Path dir, List<EdgeConfig> edges) {
        List<String> models = edges.stream().map(e -> MergeConfigs.contribution(e.nodeId())).sorted().toList();
        String yaml = MergeConfigs.yaml(spec.method(), base.toAbsolutePath(), models,
                new LinkedHashMap<>(spec.parameters()), new LinkedHashMap<>(spec.modelParameters()));
        try (MergePlan plan = new MergePlanner(new MethodRegistry()).plan(MergeConfigs.parse(yaml, dir))) {
            return new MergeExecutor(Runtime.getRuntime().availableProcessors()).execute(plan, dir.resolve("merged"),
                    MergeProgress.NONE);
        }
    }

    /** What the hub stores for an upload: an XOR-coded one decoded with the base, as the hub decodes it. */
    private static void asTaskVector(Contributor.Result r, Path base, Path to) {
        try {
            Files.createDirectories(to.getParent());
            if (r.manifest().getKind().equals("xor_delta")) {
                try (Checkpoint b = Checkpoint.open(base)) {
                    new XorDeltaDecoder().decode(b, r.taskVector(), to);
                }
            } else {
                Files.copy(r.taskVector(), to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
