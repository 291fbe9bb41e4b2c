package io.fedmerge.eval.score;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.eval.data.McqItem;
import io.fedmerge.eval.model.PeakyModel;
import io.fedmerge.eval.model.Transformer;
import io.fedmerge.eval.tokenizer.SmallTokenizer;
import io.fedmerge.eval.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A choice's score is the summed log-probability of its continuation tokens, split from the prompt as the harness
 * splits them, whether the choice is one token (read off the prompt's run) or several (run on the cached prompt).
 */
class ScorerTest {
    @TempDir
    static Path dir;
    static Path model;
    static Tokenizer tokenizer;

    @BeforeAll
    static void build() throws IOException {
        model = PeakyModel.write(dir.resolve("m"), 5, new ModelShape(32, 2, 4, 2, 64, 300));
        tokenizer = Tokenizer.load(SmallTokenizer.write(model, ""));
    }

    /** The continuation's log-probability from one run over prompt + continuation, no cache. */
    static double direct(Transformer t, String context, String continuation) {
        int[] ctx = tokenizer.encode(context);
        int[] whole = tokenizer.encode(context + continuation);
        float[][] logits = t.forward(Arrays.copyOf(whole, whole.length - 1), t.newCache(), true);
        double sum = 0;
        for (int j = ctx.length; j < whole.length; j++) {
            sum += Scorer.logSoftmax(logits[j - 1], whole[j]);
        }
        return sum;
    }

    @Test
    void oneAndSeveralTokenChoicesScoreAsOneRunOverPromptAndContinuation() {
        McqItem item = new McqItem("i", "ab abc", List.of("short", "long", "bytes"), List.of(" a", " ab: abc",
                " é!"), 1, null);
        try (Transformer t = Transformer.open(model, null, 2)) {
            ItemScore s = new Scorer(t, tokenizer, -1).score(item);
            for (int c = 0; c < 3; c++) {
                assertThat(s.choices().get(c).logprob()).as(item.labels().get(c))
                        .isCloseTo(direct(t, "ab abc", item.continuations().get(c)), offset(1e-4));
            }
            assertThat(s.choices().get(0).continuationTokens()).containsExactly(263);
            assertThat(s.choices().get(1).continuationTokens()).containsExactly(265, 267, 266);
            assertThat(s.choices().get(0).contextTokens()).containsExactly(265, 266);
        }
    }

    @Test
    void aPromptsTrailingSpaceMovesToTheContinuationAndABosTokenLeadsWhenAsked() {
        try (Transformer t = Transformer.open(model, null, 2)) {
            ItemScore spaced = new Scorer(t, tokenizer, -1).score(new McqItem("i", "ab ", List.of("x"),
                    List.of("abc"), 0, null));
            assertThat(spaced.choices().getFirst().contextTokens()).containsExactly(265);
            assertThat(spaced.choices().getFirst().continuationTokens()).containsExactly(266);
            ItemScore bos = new Scorer(t, tokenizer, 1).score(new McqItem("i", "ab", List.of("x"), List.of(" a"), 0,
                    null));
            assertThat(bos.choices().getFirst().contextTokens()).containsExactly(1, 265);
            assertThat(bos.choices().getFirst().continuationTokens()).containsExactly(263);
        }
    }
}
