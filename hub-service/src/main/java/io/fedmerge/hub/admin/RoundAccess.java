package io.fedmerge.hub.admin;

import io.fedmerge.hub.HubException;
import io.fedmerge.hub.round.Round;
import io.fedmerge.hub.round.RoundService;
import io.fedmerge.hub.security.Caller;
import org.springframework.security.core.Authentication;
import org.springframework.stereotype.Component;

/** Which rounds a caller may read: all of them, or for a site admin those its site's nodes take part in. */
@Component
class RoundAccess {
    private final RoundService rounds;

    RoundAccess(RoundService rounds) {
        this.rounds = rounds;
    }

    /** The round, if the caller may read it; one a site admin's nodes take no part in is answered as not found. */
    Round visibleRound(String id, Authentication who) {
        Round r = rounds.get(id);
        if (!visible(id, Caller.of(who))) {
            throw HubException.notFound("no round " + id);
        }
        return r;
    }

    boolean visible(String roundId, Caller caller) {
        return caller.readScope().map(site -> rounds.openTo(roundId, site)).orElse(true);
    }
}
