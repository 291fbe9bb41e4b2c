package io.fedmerge.eval.score;

import io.fedmerge.eval.data.McqItem;
import io.fedmerge.eval.model.KvCache;
import io.fedmerge.eval.model.Transformer;
import io.fedmerge.eval.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * lm-evaluation-harness's multiple-choice scoring: for each choice, the summed log-probability of its continuation's
 * tokens after the prompt. Pairs are split as the harness does (a prompt's trailing spaces move to the
 * continuation; the continuation's tokens are those of prompt + continuation after the prompt's own count), the prompt
 * runs once, and each choice's tokens run on its cached keys and values — a one-token choice (" A") costs nothing more.
 */
public final class Scorer {
    private final Transformer model;
    private final Tokenizer tokenizer;
    private final int bos;

    /** @param bos a token to put before every prompt, or -1 for none (the harness's default for these models) */
    public Scorer(Transformer model, Tokenizer tokenizer, int bos) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.bos = bos;
    }

    public ItemScore score(McqItem item) {
        String context = item.context();
        String trailing = "";
        while (context.endsWith(" ")) {
            trailing += " ";
            context = context.substring(0, context.length() - 1);
        }
        int[] contextTokens = withBos(tokenizer.encode(context));
        KvCache cache = model.newCache();
        float[] next = model.forward(contextTokens, cache, false)[0];
        int promptLength = cache.length();
        List<ChoiceScore> choices = new ArrayList<>();
        for (int c = 0; c < item.continuations().size(); c++) {
            String continuation = trailing + item.continuations().get(c);
            int[] whole = withBos(tokenizer.encode(context + continuation));
            int[] cont = Arrays.copyOfRange(whole, Math.min(whole.length, contextTokens.length), whole.length);
            double logprob = cont.length == 0 ? 0 : logSoftmax(next, cont[0]);
            if (cont.length > 1) {
                float[][] logits = model.forward(Arrays.copyOf(cont, cont.length - 1), cache, true);
                for (int j = 1; j < cont.length; j++) {
                    logprob += logSoftmax(logits[j - 1], cont[j]);
                }
                cache.truncate(promptLength);
            }
            choices.add(new ChoiceScore(item.labels().get(c), contextTokens, cont, logprob,
                    item.continuations().get(c).strip().length()));
        }
        return new ItemScore(item.id(), item.category(), item.answer(), choices);
    }

    private int[] withBos(int[] tokens) {
        if (bos < 0) {
            return tokens;
        }
        int[] out = new int[tokens.length + 1];
        out[0] = bos;
        System.arraycopy(tokens, 0, out, 1, tokens.length);
        return out;
    }

    /** log softmax(logits)[token], in double. */
    public static double logSoftmax(float[] logits, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return logits[token] - max - Math.log(sum);
    }
}
