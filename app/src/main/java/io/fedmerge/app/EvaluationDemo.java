package io.fedmerge.app;

import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.edge.Contributor;
import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.SiteEvaluation;
import io.fedmerge.eval.score.Evaluation;
import io.fedmerge.eval.skills.SkillPlanter;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The demo's evaluated round, the paper's comparison computed by the product: hospitals with planted skills (each
 * fine-tune knows its own private questions), one round with three candidate merges, every site scoring them and
 * the base on its own questions, and the hub's gate choosing what to publish. The table's merge and base rows are
 * what the sites reported; the fine-tune rows (a fine-tune on another hospital's questions) only a demo that holds
 * every hospital's data can compute, and it does so locally.
 */
final class EvaluationDemo {
    /** A row of the table: a model's accuracy on each hospital's questions. */
    record Row(String model, List<Double> perSite) {
        double mean() {
            return perSite.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        }
    }

    record Result(String roundId, List<Row> rows, String state, int chosen, String reason) {}

    static final ModelShape SHAPE = new ModelShape(512, 1, 8, 4, 1024, 1024);
    private static final List<Map<String, Object>> CANDIDATES = List.of(
            Map.of("mergeMethod", "task_arithmetic", "modelParameters", Map.of("weight", 0.34)),
            Map.of("mergeMethod", "ties", "modelParameters", Map.of("weight", 1.0, "density", 0.5)),
            Map.of("mergeMethod", "hierarchical_cosine_ot_lerp", "modelParameters", Map.of("weight", 1.0)));

    private EvaluationDemo() {}

    static Result run(Path work, AdminApi admin, List<EdgeConfig> edges, PrintStream log) {
        Path models = work.resolve("models").resolve("skilled"); // inside the hub's models root
        log.printf("generating skilled fine-tunes: each hospital's knows the answers to its own private questions%n");
        CheckpointGenerator.Generated g = new CheckpointGenerator().generate(models, new CheckpointGenerator.Options(
                SHAPE, edges.size(), 7, DType.BF16, CheckpointWriter.DEFAULT_SHARD_BYTES, 0,
                Runtime.getRuntime().availableProcessors()), MergeProgress.NONE);
        List<Path> sets = new SkillPlanter().plant(g, models, SHAPE, 7, 0,
                new PrintStream(OutputStream.nullOutputStream()));
        admin.post("/api/v1/base-models", Map.of("name", "skilled-base", "path",
                models.resolve("base").toAbsolutePath().toString()));
        String id = admin.post("/api/v1/rounds", Map.of("baseModel", "skilled-base", "mergeMethod", "task_arithmetic",
                "minContributions", edges.size(), "evaluation", Map.of("minSites", edges.size(), "maxRegression",
                        0.05, "candidates", CANDIDATES))).path("round").path("id").asString();
        log.printf("round %s opened with evaluation: candidates task_arithmetic, ties, hierarchical_cosine_ot_lerp%n",
                id);
        for (int i = 0; i < edges.size(); i++) {
            try (HubClient c = edges.get(i).client()) {
                new Contributor().contribute(c, id, models.resolve("base"), g.variants().get(i),
                        work.resolve("edge-" + edges.get(i).nodeName()).resolve("skilled-work"), (t, d) -> { });
            }
        }
        admin.post("/api/v1/rounds/" + id + "/trigger", null);
        admin.awaitRound(id, "EVALUATING", Duration.ofMinutes(2));
        for (int i = 0; i < edges.size(); i++) {
            log.printf("%s scores the candidates on its own questions (counts go to the hub, questions stay)%n",
                    edges.get(i).nodeName());
            try (HubClient c = edges.get(i).client()) {
                new SiteEvaluation(sets.get(i), null, 0, models.resolve("base"), "base",
                        Runtime.getRuntime().availableProcessors())
                        .evaluate(c, id, work.resolve("edge-" + edges.get(i).nodeName()).resolve("skilled-work"),
                                new PrintStream(OutputStream.nullOutputStream()));
            }
        }
        JsonNode round = admin.awaitAny(id, java.util.Set.of("PUBLISHED", "REJECTED"), Duration.ofMinutes(2));
        JsonNode outcome = round.path("artifact").path("evaluation").path("outcome");
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("base", perSite(outcome.path("reference"), edges)));
        for (int i = 0; i < edges.size(); i++) {
            List<Double> scores = new ArrayList<>();
            for (Path set : sets) {
                scores.add(Evaluation.run(new Evaluation.Request(g.variants().get(i), null, set, null, 0,
                        Runtime.getRuntime().availableProcessors(), false), (d, t) -> { }).result().accuracy());
            }
            rows.add(new Row(edges.get(i).nodeName() + "'s fine-tune", scores));
        }
        for (JsonNode c : outcome.path("candidates")) {
            rows.add(new Row("merge " + c.path("candidate").asInt() + ": " + c.path("mergeMethod").asString(),
                    perSite(c.path("sites"), edges)));
        }
        return new Result(id, rows, round.path("state").asString(), outcome.path("chosen").asInt(),
                outcome.path("reason").asString());
    }

    /** Scores keyed by pseudonymous node id, in the order of the demo's hospitals. */
    private static List<Double> perSite(JsonNode bySite, List<EdgeConfig> edges) {
        return edges.stream().map(e -> bySite.path(e.nodeId()).asDouble()).toList();
    }

    static void print(Result r, List<EdgeConfig> edges, PrintStream out) {
        out.printf("%nround %s: accuracy on each hospital's private questions%n", r.roundId());
        StringBuilder head = new StringBuilder(String.format("  %-44s", "model"));
        edges.forEach(e -> head.append(String.format(" %11s", e.nodeName())));
        out.println(head.append(String.format(" %8s", "mean")));
        for (Row row : r.rows()) {
            StringBuilder line = new StringBuilder(String.format("  %-44s", row.model()));
            row.perSite().forEach(v -> line.append(String.format(" %11.3f", v)));
            out.println(line.append(String.format(" %8.3f", row.mean())));
        }
        out.printf("  gate: %s%n  %s%n", r.state().equals("PUBLISHED") ? "published merge " + r.chosen()
                : "nothing published (" + r.state() + ")", r.reason());
    }
}
