package io.fedmerge.hub.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fedmerge.hub.Databases;
import io.fedmerge.hub.StoreRows;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/** RoundStore's SQL on both databases the hub runs on: conditional transitions, events, invitations, leases. */
class RoundStoreTest {
    record Fixture(AnnotationConfigApplicationContext ctx, RoundStore rounds, JdbcClient db, String base)
            implements AutoCloseable {
        static Fixture on(Databases.Kind kind) {
            var ctx = Databases.context(Databases.migrated(kind), RoundEvents.class, RoundStore.class);
            JdbcClient db = ctx.getBean(JdbcClient.class);
            return new Fixture(ctx, ctx.getBean(RoundStore.class), db, StoreRows.baseModel(db));
        }

        Round open(List<String> invited) {
            Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            Round r = new Round(UUID.randomUUID().toString(), base, "ties", Map.of("normalize", true),
                    Map.of("weight", 0.5, "density", 0.7), 2, now.plus(Duration.ofHours(1)), RoundState.OPEN, null,
                    null, now, now, Publication.MODEL);
            rounds.insert(r, invited);
            return r;
        }

        @Override
        public void close() {
            ctx.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void aRoundReadsBackAsWrittenWithItsOpeningEvent(Databases.Kind kind) {
        try (Fixture f = Fixture.on(kind)) {
            Round r = f.open(List.of());
            assertThat(f.rounds.get(r.id())).isEqualTo(r);
            assertThat(f.rounds.eventsAfter(0)).extracting(RoundStore.Event::roundId, RoundStore.Event::state)
                    .containsExactly(tuple(r.id(), RoundState.OPEN));
            assertThat(f.rounds.find("no-such-round")).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void aTransitionHappensOnlyFromTheStateItNamesAndRecordsOneEvent(Databases.Kind kind) {
        try (Fixture f = Fixture.on(kind)) {
            Round r = f.open(List.of());
            assertThat(f.rounds.transition(r.id(), RoundState.OPEN, RoundState.CANCELLED, "by admin", null)).isTrue();
            assertThat(f.rounds.transition(r.id(), RoundState.OPEN, RoundState.MERGING, null, null)).isFalse();
            assertThat(f.rounds.get(r.id()).state()).isEqualTo(RoundState.CANCELLED);
            assertThat(f.rounds.get(r.id()).reason()).isEqualTo("by admin");
            assertThat(f.rounds.eventsAfter(0)).extracting(RoundStore.Event::state)
                    .containsExactly(RoundState.OPEN, RoundState.CANCELLED);
        }
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void ofManyConcurrentStartsExactlyOneMovesTheRoundToMerging(Databases.Kind kind) throws Exception {
        try (Fixture f = Fixture.on(kind); var pool = Executors.newFixedThreadPool(8)) {
            Round r = f.open(List.of());
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger won = new AtomicInteger();
            List<CompletableFuture<Void>> all = IntStream.range(0, 8).mapToObj(i ->
                    CompletableFuture.runAsync(() -> {
                        try {
                            go.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        if (f.rounds.startMerge(r.id())) {
                            won.incrementAndGet();
                        }
                    }, pool)).toList();
            go.countDown();
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get();
            assertThat(won).hasValue(1);
            assertThat(f.rounds.eventsAfter(0)).extracting(RoundStore.Event::state)
                    .containsExactly(RoundState.OPEN, RoundState.MERGING);
        }
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void aRoundWithoutInvitationsIsOpenToEveryNodeAndOneWithThemOnlyToThoseInvited(Databases.Kind kind) {
        try (Fixture f = Fixture.on(kind)) {
            String alice = StoreRows.node(f.db);
            String bob = StoreRows.node(f.db);
            Round everyone = f.open(List.of());
            Round onlyAlice = f.open(List.of(alice));
            assertThat(f.rounds.invited(everyone.id(), bob)).isTrue();
            assertThat(f.rounds.invited(onlyAlice.id(), alice)).isTrue();
            assertThat(f.rounds.invited(onlyAlice.id(), bob)).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void aMergeLeaseIsHeldByOneOwnerUntilItLapses(Databases.Kind kind) {
        try (Fixture f = Fixture.on(kind)) {
            Round r = f.open(List.of());
            Instant t0 = Instant.now();
            assertThat(f.rounds.claimMerge(r.id(), "replica-a", t0, t0.plusSeconds(30))).as("not merging yet")
                    .isFalse();
            assertThat(f.rounds.startMerge(r.id())).isTrue();
            assertThat(f.rounds.orphanedMerges(t0)).containsExactly(r.id());
            assertThat(f.rounds.claimMerge(r.id(), "replica-a", t0, t0.plusSeconds(30))).isTrue();
            assertThat(f.rounds.orphanedMerges(t0)).isEmpty();
            assertThat(f.rounds.claimMerge(r.id(), "replica-b", t0.plusSeconds(10), t0.plusSeconds(40)))
                    .as("a live lease of another").isFalse();
            assertThat(f.rounds.claimMerge(r.id(), "replica-a", t0.plusSeconds(10), t0.plusSeconds(40)))
                    .as("the owner renews").isTrue();
            assertThat(f.rounds.orphanedMerges(t0.plusSeconds(41))).containsExactly(r.id());
            assertThat(f.rounds.claimMerge(r.id(), "replica-b", t0.plusSeconds(41), t0.plusSeconds(70)))
                    .as("a lapsed lease is adopted").isTrue();
        }
    }
}
