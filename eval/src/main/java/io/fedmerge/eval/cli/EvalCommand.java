package io.fedmerge.eval.cli;

import io.fedmerge.core.cli.Json;
import io.fedmerge.eval.data.McqFormat;
import io.fedmerge.eval.score.ChoiceScore;
import io.fedmerge.eval.score.EvalResult;
import io.fedmerge.eval.score.Evaluation;
import io.fedmerge.eval.score.ItemScore;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Score a model on multiple-choice questions by log-likelihood, as lm-evaluation-harness does"
                + " (MedQA, MedMCQA, PubMedQA, MMLU layouts; docs/EVALUATION.md).")
public final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model directory (config.json, safetensors, tokenizer.json).")
    Path model;

    @Option(names = "--adapter", description = "A PEFT LoRA adapter to apply to the model.")
    Path adapter;

    @Option(names = "--data", required = true, description = "Questions, one JSON object a line.")
    Path data;

    @Option(names = "--format", defaultValue = "auto",
            description = "auto (from the fields), medqa, medmcqa, pubmedqa or mmlu. Default: ${DEFAULT-VALUE}.")
    String format;

    @Option(names = "--limit", defaultValue = "0", description = "Score only the first N questions (0 = all).")
    int limit;

    @Option(names = "--add-bos", description = "Put <s> before every prompt (the harness does not, by default).")
    boolean addBos;

    @Option(names = "--threads", description = "Worker threads (default: number of cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--json", description = "Print every item's tokens and log-probabilities as JSON on stdout.")
    boolean json;

    @Override
    public Integer call() {
        McqFormat f = format.equalsIgnoreCase("auto") ? null : McqFormat.parse(format);
        int[] lastDecile = {-1};
        Evaluation.Report r = Evaluation.run(new Evaluation.Request(model, adapter, data, f, limit, threads, addBos),
                (done, total) -> {
                    int decile = done * 10 / total;
                    if (decile != lastDecile[0]) {
                        lastDecile[0] = decile;
                        System.err.printf("eval %3d%% (%d/%d questions)%n", decile * 10, done, total);
                    }
                });
        if (json) {
            System.out.println(Json.write(toJson(r)));
        } else {
            print(r);
        }
        return 0;
    }

    private ObjectNode toJson(Evaluation.Report r) {
        ObjectNode o = Json.object();
        o.put("model", model.toString());
        if (adapter != null) {
            o.put("adapter", adapter.toString());
        }
        o.put("data", data.toString());
        result(o, r.result());
        o.put("tokens_scored", r.tokensScored());
        o.put("seconds", r.seconds());
        ObjectNode cats = o.putObject("categories");
        r.result().categories().forEach((k, v) -> result(cats.putObject(k), v));
        ArrayNode items = o.putArray("items");
        for (ItemScore s : r.items()) {
            ObjectNode i = items.addObject();
            i.put("id", s.id());
            i.put("answer", s.choices().get(s.answer()).label());
            i.put("predicted", s.choices().get(s.predicted()).label());
            i.put("predicted_norm", s.choices().get(s.predictedNorm()).label());
            ArrayNode choices = i.putArray("choices");
            for (ChoiceScore c : s.choices()) {
                ObjectNode cj = choices.addObject();
                cj.put("label", c.label());
                ArrayNode ctx = cj.putArray("context_tokens");
                for (int t : c.contextTokens()) {
                    ctx.add(t);
                }
                ArrayNode cont = cj.putArray("continuation_tokens");
                for (int t : c.continuationTokens()) {
                    cont.add(t);
                }
                cj.put("logprob", c.logprob());
            }
        }
        return o;
    }

    private static void result(ObjectNode o, EvalResult e) {
        o.put("n", e.n());
        o.put("accuracy", e.accuracy());
        o.put("accuracy_norm", e.accuracyNorm());
        o.put("stderr", e.stderr());
        o.put("stderr_norm", e.stderrNorm());
    }

    private void print(Evaluation.Report r) {
        EvalResult e = r.result();
        System.out.printf("%s on %s: %d questions%n", model.getFileName(), data.getFileName(), e.n());
        System.out.printf("  accuracy       %.4f ± %.4f%n", e.accuracy(), e.stderr());
        System.out.printf("  accuracy_norm  %.4f ± %.4f%n", e.accuracyNorm(), e.stderrNorm());
        for (Map.Entry<String, EvalResult> c : e.categories().entrySet()) {
            System.out.printf("  %-30s %.4f (n=%d)%n", c.getKey(), c.getValue().accuracy(), c.getValue().n());
        }
        System.out.printf("  %d tokens scored in %.1f s (%.0f tokens/s)%n", r.tokensScored(), r.seconds(),
                r.tokensScored() / Math.max(1e-9, r.seconds()));
    }
}
