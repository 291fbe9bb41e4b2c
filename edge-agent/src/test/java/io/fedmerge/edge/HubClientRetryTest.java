package io.fedmerge.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.proto.v1.GetRoundRequest;
import io.fedmerge.proto.v1.Round;
import io.fedmerge.proto.v1.RoundServiceGrpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Which failures the edge retries: a hub that was away or busy (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED,
 * ABORTED, UNKNOWN, INTERNAL) is asked again within the budget; a refusal is reported at once. A scripted round
 * service on grpc-java's in-process transport plays the hub.
 */
class HubClientRetryTest {
    /** Answers GetRound with the scripted failures first, then with a round. */
    static final class ScriptedHub extends RoundServiceGrpc.RoundServiceImplBase {
        final Deque<Status> failures = new ArrayDeque<>();
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public void getRound(GetRoundRequest request, StreamObserver<Round> response) {
            calls.incrementAndGet();
            Status next = failures.poll();
            if (next != null) {
                response.onError(next.withDescription("scripted").asRuntimeException());
                return;
            }
            response.onNext(Round.newBuilder().setRoundId(request.getRoundId()).build());
            response.onCompleted();
        }
    }

    ScriptedHub hub;
    Server server;
    String name;

    @BeforeEach
    void start() throws Exception {
        hub = new ScriptedHub();
        name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor().addService(hub).build().start();
    }

    @AfterEach
    void stop() {
        server.shutdownNow();
    }

    HubClient client(RetryPolicy retry) {
        return new HubClient(InProcessChannelBuilder.forName(name).directExecutor().build(), "fmn_test", retry);
    }

    static RetryPolicy fast(Duration budget) {
        return new RetryPolicy(budget, Integer.MAX_VALUE, Duration.ofMillis(1), Duration.ofMillis(5));
    }

    @ParameterizedTest
    @EnumSource(names = {"UNAVAILABLE", "DEADLINE_EXCEEDED", "CANCELLED", "ABORTED", "UNKNOWN", "INTERNAL"})
    void aHubThatWasAwayIsAskedAgain(Status.Code code) {
        hub.failures.add(Status.fromCode(code));
        hub.failures.add(Status.fromCode(code));
        try (HubClient c = client(fast(Duration.ofSeconds(30)))) {
            assertThat(c.round("r1").getRoundId()).isEqualTo("r1");
        }
        assertThat(hub.calls.get()).isEqualTo(3);
    }

    @ParameterizedTest
    @EnumSource(names = {"UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND", "FAILED_PRECONDITION",
        "INVALID_ARGUMENT", "RESOURCE_EXHAUSTED", "ALREADY_EXISTS", "DATA_LOSS"})
    void aRefusalIsReportedAtOnce(Status.Code code) {
        hub.failures.add(Status.fromCode(code));
        try (HubClient c = client(fast(Duration.ofSeconds(30)))) {
            assertThatThrownBy(() -> c.round("r1")).isInstanceOfSatisfying(HubCallException.class, e -> {
                assertThat(e.code()).isEqualTo(code);
                assertThat(e.transientFailure()).isFalse();
                assertThat(e.getMessage()).contains("round r1", code.name(), "scripted").doesNotContain("attempts");
            });
        }
        assertThat(hub.calls.get()).isEqualTo(1);
    }

    @Test
    void theRetryBudgetEndsTheAttemptsWithACountedFailure() {
        for (int i = 0; i < 10_000; i++) {
            hub.failures.add(Status.UNAVAILABLE);
        }
        try (HubClient c = client(fast(Duration.ofMillis(300)))) {
            assertThatThrownBy(() -> c.round("r1")).isInstanceOfSatisfying(HubCallException.class, e -> {
                assertThat(e.transientFailure()).isTrue();
                assertThat(e.getMessage()).containsPattern("after \\d+ attempts").contains("UNAVAILABLE");
            });
        }
        assertThat(hub.calls.get()).isBetween(2, 10_000);
    }

    @Test
    void aFixedNumberOfAttemptsIsHonoured() {
        for (int i = 0; i < 10; i++) {
            hub.failures.add(Status.UNAVAILABLE);
        }
        try (HubClient c = client(RetryPolicy.attempts(3, 1))) {
            assertThatThrownBy(() -> c.round("r1")).hasMessageContaining("after 3 attempts");
        }
        assertThat(hub.calls.get()).isEqualTo(3);
    }
}
