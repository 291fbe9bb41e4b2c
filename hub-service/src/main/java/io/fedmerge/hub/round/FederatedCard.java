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
        s.append("\n### Contributions\n\n| node (pseudonymous id) | kind | SHA-256 of the bytes sent |\n|---|---|---|\n");
        for (Upload u : contributions) {
            s.append("| `").append(u.nodeId()).append("` | ").append(u.isAdapter() ? "LoRA adapter" : "task vector")
                    .append(" | `").append(u.sha256()).append("` |\n");
        }
        return s.toString();
    }
}
