package io.fedmerge.hub.round;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The publish gate, as a pure function of the plan and the sites' reports: a candidate passes when no site scores it
 * more than {@code maxRegression} below that site's own reference; the passing candidate with the best score over
 * all sites (weighted by their numbers of questions; the lower index on a tie) is published. Too few complete reports
 * publish nothing.
 */
final class EvaluationGate {
    /** One site's counts for one model. */
    record Score(int n, int correct, int correctNorm) {
        double metric(String name) {
            return n == 0 ? 0 : (name.equals("accuracy_norm") ? correctNorm : correct) / (double) n;
        }

        int hits(String name) {
            return name.equals("accuracy_norm") ? correctNorm : correct;
        }
    }

    private EvaluationGate() {}

    /**
     * @param methods the candidates' merge methods, in candidate order (1-based candidates)
     * @param reports per site (node id), per candidate (0 = the site's reference), its counts
     */
    static EvaluationOutcome decide(EvaluationPlan plan, List<String> methods,
            Map<String, Map<Integer, Score>> reports) {
        String metric = plan.metric();
        Map<String, Map<Integer, Score>> complete = new TreeMap<>();
        reports.forEach((site, scores) -> {
            boolean all = scores.containsKey(0);
            for (int c = 1; c <= methods.size(); c++) {
                all &= scores.containsKey(c);
            }
            if (all) {
                complete.put(site, scores);
            }
        });
        Map<String, Double> reference = new TreeMap<>();
        complete.forEach((site, s) -> reference.put(site, s.get(0).metric(metric)));
        double referenceOverall = overall(complete, 0, metric);
        List<EvaluationOutcome.Scored> scored = new ArrayList<>();
        for (int c = 1; c <= methods.size(); c++) {
            Map<String, Double> sites = new TreeMap<>();
            double worst = Double.NEGATIVE_INFINITY;
            for (Map.Entry<String, Map<Integer, Score>> e : complete.entrySet()) {
                double m = e.getValue().get(c).metric(metric);
                sites.put(e.getKey(), m);
                worst = Math.max(worst, reference.get(e.getKey()) - m);
            }
            boolean passed = !complete.isEmpty() && worst <= plan.maxRegression() + 1e-12;
            scored.add(new EvaluationOutcome.Scored(c, methods.get(c - 1), overall(complete, c, metric), sites,
                    complete.isEmpty() ? 0 : worst, passed));
        }
        if (complete.size() < plan.minSites()) {
            return new EvaluationOutcome(metric, complete.size(), referenceOverall, reference, scored, 0,
                    complete.size() + " of the " + plan.minSites() + " sites the round needs reported their scores;"
                            + " nothing was published");
        }
        EvaluationOutcome.Scored best = null;
        for (EvaluationOutcome.Scored s : scored) {
            if (s.passed() && (best == null || s.overall() > best.overall())) {
                best = s;
            }
        }
        if (best == null) {
            EvaluationOutcome.Scored least = scored.stream()
                    .min(java.util.Comparator.comparingDouble(EvaluationOutcome.Scored::worstRegression)).orElseThrow();
            return new EvaluationOutcome(metric, complete.size(), referenceOverall, reference, scored, 0, String.format(
                    "no candidate held the gate: the closest, %d (%s), scores %.3f below a site's reference (at most"
                            + " %.3f allowed); nothing was published", least.candidate(), least.mergeMethod(),
                    least.worstRegression(), plan.maxRegression()));
        }
        return new EvaluationOutcome(metric, complete.size(), referenceOverall, reference, scored, best.candidate(),
                String.format("candidate %d (%s) scores %.3f %s over %d sites (reference %.3f) and no site lost more"
                        + " than %.3f", best.candidate(), best.mergeMethod(), best.overall(), metric, complete.size(),
                        referenceOverall, plan.maxRegression()));
    }

    private static double overall(Map<String, Map<Integer, Score>> sites, int candidate, String metric) {
        long hits = 0;
        long n = 0;
        for (Map<Integer, Score> s : sites.values()) {
            hits += s.get(candidate).hits(metric);
            n += s.get(candidate).n();
        }
        return n == 0 ? 0 : hits / (double) n;
    }
}
