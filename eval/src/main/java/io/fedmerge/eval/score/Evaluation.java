package io.fedmerge.eval.score;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.eval.data.McqDataset;
import io.fedmerge.eval.data.McqFormat;
import io.fedmerge.eval.data.McqItem;
import io.fedmerge.eval.model.Transformer;
import io.fedmerge.eval.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A model (and optional adapter) scored on a question file: what `fedmerge eval` and an evaluating edge run. */
public final class Evaluation {
    /** What to evaluate and how. {@code format} null = detect; {@code limit} 0 = all; {@code threads} ≥ 1. */
    public record Request(Path model, Path adapter, Path data, McqFormat format, int limit, int threads,
            boolean addBos) {}

    public record Report(EvalResult result, List<ItemScore> items, long tokensScored, double seconds) {}

    private Evaluation() {}

    /** Told after each item: how many are scored, of how many. */
    public interface Progress {
        void update(int done, int total);
    }

    public static Report run(Request r, Progress progress) {
        List<McqItem> items = McqDataset.read(r.data(), r.format(), r.limit());
        Tokenizer tokenizer = Tokenizer.load(tokenizerFile(r.model(), r.adapter()));
        long start = System.nanoTime();
        try (Transformer model = Transformer.open(r.model(), r.adapter(), r.threads())) {
            if (tokenizer.size() > model.config().vocab()) {
                throw new FedmergeException("the tokenizer's vocabulary has " + tokenizer.size() + " tokens but the"
                        + " model's embeddings only " + model.config().vocab() + ": it belongs to another model");
            }
            int bos = r.addBos() ? bosOf(tokenizer) : -1;
            Scorer scorer = new Scorer(model, tokenizer, bos);
            List<ItemScore> scores = new ArrayList<>();
            long tokens = 0;
            for (McqItem item : items) {
                ItemScore s = scorer.score(item);
                scores.add(s);
                tokens += s.choices().getFirst().contextTokens().length;
                for (ChoiceScore c : s.choices()) {
                    tokens += Math.max(0, c.continuationTokens().length - 1);
                }
                progress.update(scores.size(), items.size());
            }
            return new Report(EvalResult.of(scores), scores, tokens, (System.nanoTime() - start) / 1e9);
        }
    }

    /** The adapter's own tokenizer.json when it ships one (PEFT saves it when tokens were added), else the model's. */
    static Path tokenizerFile(Path model, Path adapter) {
        if (adapter != null && Files.isRegularFile(adapter.resolve("tokenizer.json"))) {
            return adapter.resolve("tokenizer.json");
        }
        return (Files.isDirectory(model) ? model : model.getParent()).resolve("tokenizer.json");
    }

    private static int bosOf(Tokenizer tokenizer) {
        int id = tokenizer.id("<s>");
        if (id < 0) {
            throw new FedmergeException("--add-bos: the tokenizer has no <s> token");
        }
        return id;
    }
}
