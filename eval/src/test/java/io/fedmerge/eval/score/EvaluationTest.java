package io.fedmerge.eval.score;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.eval.model.PeakyModel;
import io.fedmerge.eval.tokenizer.SmallTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What `fedmerge eval` refuses before scoring anything, and a run that scores. */
class EvaluationTest {
    @TempDir
    Path dir;

    Path questions() throws IOException {
        return Files.writeString(dir.resolve("q.jsonl"), "{\"question\":\"ab\",\"options\":{\"A\":\"a\",\"B\":\"b\"},"
                + "\"answer_idx\":\"B\"}\n{\"question\":\"abc\",\"options\":{\"A\":\"a\",\"B\":\"b\"},\"answer_idx\":\"A\"}\n");
    }

    Evaluation.Report run(Path model) throws IOException {
        return Evaluation.run(new Evaluation.Request(model, null, questions(), null, 0, 1, false), (d, t) -> { });
    }

    @Test
    void aModelWithoutItsTokenizerOrWithAnotherModelsIsRefusedSayingWhich() throws IOException {
        Path small = PeakyModel.write(dir.resolve("small"), 1, new ModelShape(32, 1, 4, 2, 64, 64));
        assertThatThrownBy(() -> run(small)).isInstanceOf(FedmergeException.class)
                .hasMessageContaining("needs its Hugging Face tokenizer.json");
        SmallTokenizer.write(small, "");
        assertThatThrownBy(() -> run(small)).hasMessageContaining("the tokenizer's vocabulary has 268 tokens but the"
                + " model's embeddings only 64: it belongs to another model");
    }

    @Test
    void aMatchingModelIsScoredOnEveryQuestion() throws IOException {
        Path model = PeakyModel.write(dir.resolve("m"), 1, new ModelShape(32, 1, 4, 2, 64, 300));
        SmallTokenizer.write(model, "");
        Evaluation.Report r = run(model);
        assertThat(r.result().n()).isEqualTo(2);
        assertThat(r.items()).allSatisfy(i -> assertThat(i.choices()).hasSize(2));
        assertThat(r.tokensScored()).isPositive();
    }
}
