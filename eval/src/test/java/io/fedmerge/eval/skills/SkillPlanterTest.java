package io.fedmerge.eval.skills;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.eval.score.Evaluation;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Planted skills, measured with the evaluator itself: the base answers every hospital's private questions at about
 * chance, each fine-tune its own set almost always right and the others' at about chance.
 */
class SkillPlanterTest {
    static final ModelShape SHAPE = new ModelShape(256, 1, 4, 2, 512, 1024);
    @TempDir
    static Path dir;
    static CheckpointGenerator.Generated generated;
    static List<Path> sets;

    @BeforeAll
    static void generate() {
        generated = new CheckpointGenerator().generate(dir, new CheckpointGenerator.Options(SHAPE, 2, 7, DType.BF16,
                CheckpointWriter.DEFAULT_SHARD_BYTES, 0, 2), MergeProgress.NONE);
        SkillPlanter planter = new SkillPlanter();
        planter.check(SHAPE, 2, 7, 0);
        sets = planter.plant(generated, dir, SHAPE, 7, 0, new PrintStream(OutputStream.nullOutputStream()));
    }

    static double accuracy(Path model, Path set) {
        return Evaluation.run(new Evaluation.Request(model, null, set, null, 0, 2, false), (d, t) -> { })
                .result().accuracy();
    }

    @Test
    void eachFineTuneKnowsItsOwnSetAndNeitherTheBaseNorTheOthersDo() {
        assertThat(sets).hasSize(2);
        for (int own = 0; own < 2; own++) {
            Path model = generated.variants().get(own);
            assertThat(accuracy(model, sets.get(own))).as("hospital %d on its own set", own + 1)
                    .isGreaterThanOrEqualTo(0.9);
            assertThat(accuracy(model, sets.get(1 - own))).as("hospital %d on the other's", own + 1)
                    .isLessThanOrEqualTo(0.6);
            assertThat(accuracy(generated.base(), sets.get(own))).as("the base on set %d", own + 1)
                    .isLessThanOrEqualTo(0.6);
        }
    }

    @Test
    void aModelTooSmallForTheQuestionsIsRefusedBeforeAnythingIsGenerated() {
        SkillPlanter planter = new SkillPlanter();
        assertThatThrownBy(() -> planter.check(ModelShape.preset("tiny"), 3, 1, 0))
                .hasMessageContaining("a hidden size of 64 fits at most 4: use a larger model (--preset small)");
        assertThatThrownBy(() -> planter.check(SHAPE.withVocab(300), 2, 1, 0))
                .hasMessageContaining("generate with --vocab");
    }
}
