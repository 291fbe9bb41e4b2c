package io.fedmerge.hub.admin;

import io.fedmerge.hub.round.Round;
import io.fedmerge.hub.round.RoundEvents;
import io.fedmerge.hub.round.RoundService;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import java.io.IOException;
import io.fedmerge.hub.security.Caller;
import java.time.Duration;
import java.time.Instant;
import org.springframework.http.MediaType;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * A round's progress as server-sent events ({@code GET /api/v1/rounds/{id}/events}): a {@code round} event with the
 * round and its contribution count whenever either changes, a comment every 15 s to keep proxies from closing the
 * stream, and the end of the stream once the round ends, the caller's access token expires, or after 10 minutes
 * (reconnect, with a valid token, to go on). Read with fetch and the bearer token (EventSource cannot send one).
 */
@RestController
@RequestMapping("/api/v1/rounds")
@SecurityRequirement(name = OpenApiSecurity.SCHEME)
class RoundEventStream {
    private static final Duration LONGEST = Duration.ofMinutes(10);
    private static final Duration KEEPALIVE = Duration.ofSeconds(15);
    /** Contributions arrive without a round event: a stream also looks every second. */
    private static final long LOOK_MILLIS = 1000;
    private final RoundService rounds;
    private final RoundEvents events;
    private final RoundAccess access;

    RoundEventStream(RoundService rounds, RoundEvents events, RoundAccess access) {
        this.rounds = rounds;
        this.events = events;
        this.access = access;
    }

    @GetMapping(path = "/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    SseEmitter events(@PathVariable String id, Authentication who) {
        access.visibleRound(id, who);
        // The credential was checked once, at the start: the stream must not outlive it.
        Instant until = Caller.of(who).validUntil();
        Duration open = until == null ? LONGEST : Duration.ofMillis(Math.clamp(
                Duration.between(Instant.now(), until).toMillis(), 0, LONGEST.toMillis()));
        SseEmitter emitter = new SseEmitter(open.toMillis() + KEEPALIVE.toMillis());
        Thread.ofVirtual().name("round-events-" + id).start(() -> stream(id, emitter, open));
        return emitter;
    }

    private void stream(String id, SseEmitter emitter, Duration open) {
        long end = System.nanoTime() + open.toNanos();
        long quietSince = System.nanoTime();
        String last = null;
        try {
            while (System.nanoTime() < end) {
                Round r = rounds.get(id);
                int contributions = rounds.contributions(id);
                String now = r.state() + "|" + contributions + "|" + r.reason();
                if (!now.equals(last)) {
                    emitter.send(SseEmitter.event().name("round").data(new AdminController.RoundView(r, contributions),
                            MediaType.APPLICATION_JSON));
                    last = now;
                    quietSince = System.nanoTime();
                } else if (System.nanoTime() - quietSince > KEEPALIVE.toNanos()) {
                    emitter.send(SseEmitter.event().comment("keep-alive"));
                    quietSince = System.nanoTime();
                }
                if (r.state().terminal()) {
                    break;
                }
                events.await(Math.max(1, Math.min(LOOK_MILLIS, (end - System.nanoTime()) / 1_000_000)));
            }
            emitter.complete();
        } catch (IOException | IllegalStateException gone) {
            // The client went away (or the emitter timed out): nothing left to tell.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            emitter.complete();
        } catch (RuntimeException e) {
            emitter.completeWithError(e);
        }
    }
}
