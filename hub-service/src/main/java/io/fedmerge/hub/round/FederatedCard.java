package io.fedmerge.hub.round;

import io.fedmerge.hub.model.BaseModel;
import io.fedmerge.hub.transfer.Upload;
import java.util.List;

/**
 * The federated section of a published model's card: which round made it, from which base, and exactly which bytes
 * each node sent (SHA-256 by pseudonymous node id), so a hospital can check its own contribution went in. Never a
 * hospital's name or a hub path: the card travels with the model.
 */
final class FederatedCard {
    private FederatedCard() {}

    static String section(Round round, BaseModel base, List<Upload> contributions, String hubVersion) {
        StringBuilder s = new StringBuilder("\n## Federated provenance\n\n");
        s.append("| | |\n|---|---|\n");
        s.append("| round | `").append(round.id()).append("` |\n");
        s.append("| base model | `").append(base.name()).append("`, checkpoint digest `").append(base.digest())
                .append("` |\n");
        s.append("| merge method | ").append(round.mergeMethod()).append(" |\n");
        s.append("| produced by | fedmerge hub ").append(hubVersion).append(" |\n");
        if (round.evaluation() != null) {
            s.append("| evaluation | scored by at least ").append(round.evaluation().minSites())
                    .append(" site(s) on their private questions before publication; the scores are in the round's"
                            + " record (GET /api/v1/rounds/").append(round.id()).append(") |\n");
        }
        s.append("\n### Contributions\n\n| node (pseudonymous id) | kind | SHA-256 of the bytes sent |\n")
                .append("|---|---|---|\n");
        for (Upload u : contributions) {
            s.append("| `").append(u.nodeId()).append("` | ").append(u.isAdapter() ? "LoRA adapter" : "task vector")
                    .append(" | `").append(u.sha256()).append("` |\n");
        }
        return s.toString();
    }

    /** The sites' verdict, added when an evaluated round publishes: each candidate's score and whether it passed. */
    static String evaluation(EvaluationOutcome outcome) {
        StringBuilder s = new StringBuilder("\n### Evaluation by the sites\n\n");
        s.append(outcome.sites()).append(" site(s) scored every candidate and the base on their own private")
                .append(" questions (").append(outcome.metric()).append("; counts only ever left the sites). Base: ")
                .append(String.format(java.util.Locale.ROOT, "%.4f", outcome.referenceOverall())).append(".\n\n");
        s.append("| candidate | method | overall | worst fall below a site's base | passed |\n|---|---|---|---|---|\n");
        for (EvaluationOutcome.Scored c : outcome.candidates()) {
            s.append("| ").append(c.candidate()).append(c.candidate() == outcome.chosen() ? " (published)" : "")
                    .append(" | ").append(c.mergeMethod()).append(" | ")
                    .append(String.format(java.util.Locale.ROOT, "%.4f", c.overall())).append(" | ")
                    .append(String.format(java.util.Locale.ROOT, "%.4f", c.worstRegression())).append(" | ")
                    .append(c.passed() ? "yes" : "no").append(" |\n");
        }
        if (outcome.reason() != null && !outcome.reason().isBlank()) {
            s.append("\n").append(outcome.reason()).append("\n");
        }
        return s.toString();
    }
}
