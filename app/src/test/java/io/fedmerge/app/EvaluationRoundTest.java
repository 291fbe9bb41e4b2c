package io.fedmerge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.edge.Contributor;
import io.fedmerge.edge.EdgeConfig;
import io.fedmerge.edge.HubCallException;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.ModelInstaller;
import io.fedmerge.edge.SiteEvaluation;
import io.fedmerge.eval.score.Evaluation;
import io.fedmerge.eval.skills.SkillPlanter;
import io.fedmerge.proto.v1.CandidateScore;
import io.fedmerge.proto.v1.EvaluationReport;
import io.fedmerge.proto.v1.Score;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A round with evaluation, over real gRPC on loopback: three hospitals with planted skills contribute, the hub
 * merges three candidates, each site scores them and the base on its own private questions and sends counts only,
 * and the hub publishes the best candidate that made no site worse — here task arithmetic's average, which keeps
 * every hospital's skill, not TIES (which loses them) nor the hierarchical method (which reverts to the base). Too
 * few sites reject the round; an admin can publish the rejected candidate with a reason.
 */
class EvaluationRoundTest {
    static final ModelShape SHAPE = new ModelShape(256, 1, 4, 2, 512, 1024);
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir
    static Path dir;
    static Path models;
    static List<Path> sets;
    static EmbeddedHub hub;
    static List<EdgeConfig> sites = new ArrayList<>();

    @BeforeAll
    static void start() {
        models = dir.resolve("models");
        CheckpointGenerator.Generated g = new CheckpointGenerator().generate(models, new CheckpointGenerator.Options(
                SHAPE, 3, 21, DType.BF16, CheckpointWriter.DEFAULT_SHARD_BYTES, 0, 2), MergeProgress.NONE);
        sets = new SkillPlanter().plant(g, models, SHAPE, 21, 0, QUIET);
        hub = EmbeddedHub.start(dir.resolve("hub"), "test-admin-token", "--spring.main.banner-mode=off",
                "--fedmerge.hub.models-root=" + models.toAbsolutePath(), "--fedmerge.hub.deadline-check-ms=200");
        hub.admin().post("/api/v1/base-models", Map.of("name", "base", "path",
                models.resolve("base").toAbsolutePath().toString()));
        for (int h = 1; h <= 3; h++) {
            sites.add(FederationFixture.enroll(hub, "site-" + h));
        }
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    static String openRound(Map<String, Object> evaluation) {
        return hub.admin().post("/api/v1/rounds", Map.of("baseModel", "base", "mergeMethod", "task_arithmetic",
                "modelParameters", Map.of("weight", 0.34), "minContributions", 3, "evaluation", evaluation))
                .path("round").path("id").asString();
    }

    static void contributeAll(String round) {
        for (int h = 1; h <= 3; h++) {
            try (HubClient c = FederationFixture.client(sites.get(h - 1))) {
                new Contributor().contribute(c, round, models.resolve("base"), models.resolve("hospital-" + h),
                        dir.resolve("work-" + h), (t, d) -> { });
            }
        }
        hub.admin().post("/api/v1/rounds/" + round + "/trigger", null);
        hub.admin().awaitRound(round, "EVALUATING", Duration.ofSeconds(120));
    }

    static EvaluationReport evaluateAt(int site, String round) {
        try (HubClient c = FederationFixture.client(sites.get(site - 1))) {
            return new SiteEvaluation(sets.get(site - 1), null, 0, models.resolve("base"), "base", 2)
                    .evaluate(c, round, dir.resolve("eval-work-" + site), QUIET);
        }
    }

    @Test
    void theSitesScoresChooseTheCandidateThatKeepsEveryHospitalsSkill() throws Exception {
        String round = openRound(Map.of("minSites", 3, "maxRegression", 0.05, "candidates", List.of(
                Map.of("mergeMethod", "task_arithmetic", "modelParameters", Map.of("weight", 0.34)),
                Map.of("mergeMethod", "ties", "modelParameters", Map.of("weight", 1.0, "density", 0.5)),
                Map.of("mergeMethod", "hierarchical_cosine_ot_lerp", "modelParameters", Map.of("weight", 1.0)))));
        contributeAll(round);
        List<EvaluationReport> reports = new ArrayList<>();
        for (int s = 1; s <= 3; s++) {
            reports.add(evaluateAt(s, round));
        }
        JsonNode r = hub.admin().awaitRound(round, "PUBLISHED", Duration.ofSeconds(60));
        JsonNode outcome = r.path("artifact").path("evaluation").path("outcome");
        assertThat(outcome.path("chosen").asInt()).as(outcome.toString()).isEqualTo(1);
        assertThat(outcome.path("sites").asInt()).isEqualTo(3);
        assertThat(outcome.path("candidates").get(0).path("overall").asDouble()).isGreaterThan(0.7);
        assertThat(outcome.path("candidates").get(0).path("overall").asDouble())
                .isGreaterThan(outcome.path("referenceOverall").asDouble() + 0.3);
        // what each site sent: counts of its own questions, for every candidate and the base, nothing else
        for (EvaluationReport rep : reports) {
            assertThat(rep.getScoresList()).extracting(CandidateScore::getCandidate).containsExactly(0, 1, 2, 3);
            assertThat(rep.getScoresList()).allSatisfy(s -> assertThat(s.getScore().getN()).isPositive());
        }
        // the published model is the candidate the sites chose, and it answers each site's questions
        try (HubClient c = FederationFixture.client(sites.getFirst())) {
            Path installed = new ModelInstaller().install(c, round, dir.resolve("installed"), n -> { }).dir();
            assertThat(installed.resolve("tokenizer.json")).exists();
            // the card records the sites' verdict; the installer checked its SHA-256 against the published list
            assertThat(java.nio.file.Files.readString(installed.resolve("README.md"))).contains(
                    "## Federated provenance", "### Evaluation by the sites", "| 1 (published) |");
            for (Path set : sets) {
                double acc = Evaluation.run(new Evaluation.Request(installed, null, set, null, 0, 2, false),
                        (d, t) -> { }).result().accuracy();
                assertThat(acc).as(set.getFileName().toString()).isGreaterThan(0.6);
            }
        }
        assertThatThrownBy(() -> evaluateAt(1, round)).hasMessageContaining("is ROUND_PUBLISHED");
    }

    @Test
    void tooFewSitesRejectTheRoundAndAnAdminCanStillPublishWithAReason() throws Exception {
        String round = openRound(Map.of("minSites", 3, "timeoutSeconds", 1));
        contributeAll(round);
        evaluateAt(1, round);
        JsonNode rejected = hub.admin().awaitRound(round, "REJECTED", Duration.ofSeconds(60));
        assertThat(rejected.path("reason").asString()).contains("1 of the 3 sites");
        assertThatThrownBy(() -> hub.admin().post("/api/v1/rounds/" + round + "/publish", Map.of("candidate", 1)))
                .hasMessageContaining("needs a reason");
        JsonNode published = hub.admin().post("/api/v1/rounds/" + round + "/publish", Map.of("candidate", 1,
                "reason", "only one site had questions this month")).path("round");
        assertThat(published.path("state").asString()).isEqualTo("PUBLISHED");
        assertThat(published.path("artifact").path("evaluation").path("outcome").path("reason").asString())
                .contains("only one site had questions this month");
        try (HubClient c = FederationFixture.client(sites.get(1))) {
            assertThat(new ModelInstaller().install(c, round, dir.resolve("installed-anyway"), n -> { }).digest())
                    .isEqualTo(published.path("artifact").path("checkpointDigest").asString());
        }
    }

    @Test
    void aReportThatDoesNotAddUpIsRefusedAndCountsForNothing() {
        String round = openRound(Map.of("minSites", 1));
        contributeAll(round);
        try (HubClient c = FederationFixture.client(sites.get(2))) {
            EvaluationReport uneven = EvaluationReport.newBuilder().setRoundId(round).setReference("base")
                    .addScores(score(0, 40, 10)).addScores(score(1, 39, 30)).build();
            assertThatThrownBy(() -> c.reportEvaluation(uneven)).isInstanceOf(HubCallException.class)
                    .hasMessageContaining("the same 1 to 1000000 questions");
            EvaluationReport overcount = EvaluationReport.newBuilder().setRoundId(round).setReference("base")
                    .addScores(score(0, 40, 10)).addScores(score(1, 40, 41)).build();
            assertThatThrownBy(() -> c.reportEvaluation(overcount)).hasMessageContaining("must lie in [0, n]");
            EvaluationReport missing = EvaluationReport.newBuilder().setRoundId(round).setReference("base")
                    .addScores(score(0, 40, 10)).build();
            assertThatThrownBy(() -> c.reportEvaluation(missing)).hasMessageContaining("every candidate (1..1)");
        }
        assertThat(hub.admin().get("/api/v1/rounds/" + round).path("round").path("state").asString())
                .isEqualTo("EVALUATING");
    }

    static CandidateScore score(int candidate, int n, int correct) {
        return CandidateScore.newBuilder().setCandidate(candidate).setScore(Score.newBuilder().setN(n)
                .setCorrect(correct).setCorrectNorm(correct)).build();
    }
}
