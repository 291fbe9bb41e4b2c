package io.fedmerge.eval.score;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Accuracy and length-normalised accuracy of scored items, with the standard error of each mean (sample standard
 * deviation over √n, as lm-evaluation-harness reports it), overall and per category.
 */
public record EvalResult(int n, int correct, int correctNorm, double accuracy, double accuracyNorm, double stderr,
        double stderrNorm, Map<String, EvalResult> categories) {

    public static EvalResult of(List<ItemScore> items) {
        Map<String, List<ItemScore>> byCategory = new TreeMap<>();
        for (ItemScore s : items) {
            if (s.category() != null) {
                byCategory.computeIfAbsent(s.category(), k -> new ArrayList<>()).add(s);
            }
        }
        Map<String, EvalResult> categories = new TreeMap<>();
        byCategory.forEach((k, v) -> categories.put(k, summary(v, Map.of())));
        return summary(items, categories);
    }

    private static EvalResult summary(List<ItemScore> items, Map<String, EvalResult> categories) {
        int n = items.size();
        int correct = (int) items.stream().filter(s -> s.predicted() == s.answer()).count();
        int correctNorm = (int) items.stream().filter(s -> s.predictedNorm() == s.answer()).count();
        return new EvalResult(n, correct, correctNorm, n == 0 ? 0 : correct / (double) n,
                n == 0 ? 0 : correctNorm / (double) n, stderr(correct, n), stderr(correctNorm, n),
                Map.copyOf(categories));
    }

    /** Standard error of the mean of n 0/1 values with k ones: √(k(n−k)/(n(n−1))) / √n. */
    static double stderr(int k, int n) {
        if (n < 2) {
            return 0;
        }
        double p = k / (double) n;
        double sampleVariance = p * (1 - p) * n / (n - 1);
        return Math.sqrt(sampleVariance / n);
    }
}
