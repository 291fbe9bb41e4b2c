package io.fedmerge.hub.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.hub.Databases;
import io.fedmerge.hub.StoreRows;
import io.fedmerge.hub.round.Publication;
import io.fedmerge.hub.round.Round;
import io.fedmerge.hub.round.RoundEvents;
import io.fedmerge.hub.round.RoundState;
import io.fedmerge.hub.round.RoundStore;
import io.fedmerge.proto.v1.TaskVectorManifest;
import io.fedmerge.proto.v1.TaskVectorProvenance;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/** UploadStore's SQL on both databases: manifests round-trip, state moves are conditional, merges read a snapshot. */
class UploadStoreTest {
    record Fixture(AnnotationConfigApplicationContext ctx, UploadStore uploads, RoundStore rounds, JdbcClient db,
            String round, String node) implements AutoCloseable {
        static Fixture on(Databases.Kind kind) {
            var ctx = Databases.context(Databases.migrated(kind), RoundEvents.class, RoundStore.class,
                    UploadStore.class);
            JdbcClient db = ctx.getBean(JdbcClient.class);
            RoundStore rounds = ctx.getBean(RoundStore.class);
            Instant now = Instant.now();
            String round = UUID.randomUUID().toString();
            rounds.insert(new Round(round, StoreRows.baseModel(db), "task_arithmetic", Map.of(), Map.of(), 1, null,
                    RoundState.OPEN, null, null, now, now, Publication.MODEL), List.of());
            return new Fixture(ctx, ctx.getBean(UploadStore.class), rounds, db, round, StoreRows.node(db));
        }

        Upload begin(Instant at) {
            TaskVectorManifest m = TaskVectorManifest.newBuilder().setKind("sparse_delta").setSha256("cd".repeat(32))
                    .setTotalBytes(1234).setProvenance(TaskVectorProvenance.newBuilder().setMethod("magnitude")
                            .setDensity(0.1)).build();
            Upload u = new Upload(UUID.randomUUID().toString(), round, node, m.getSha256(), m.getTotalBytes(), m,
                    Upload.State.UPLOADING, at.truncatedTo(ChronoUnit.MILLIS), null);
            uploads.insert(u);
            return u;
        }

        @Override
        public void close() {
            ctx.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void anUploadReadsBackWithItsManifest(Databases.Kind kind) {
        try (Fixture f = Fixture.on(kind)) {
            Upload u = f.begin(Instant.now());
            assertThat(f.uploads.get(u.id())).isEqualTo(u);
            assertThat(f.uploads.get(u.id()).manifest().getProvenance().getDensity()).isEqualTo(0.1);
            assertThat(f.uploads.uploading(f.node)).containsExactly(u);
        }
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void commitAndSupersedeMoveOnlyFromTheStateTheyExpect(Databases.Kind kind) {
        try (Fixture f = Fixture.on(kind)) {
            Upload first = f.begin(Instant.now().minusSeconds(5));
            Upload second = f.begin(Instant.now());
            assertThat(f.uploads.live(f.round, f.node)).extracting(Upload::id).as("newest first")
                    .containsExactly(second.id(), first.id());
            assertThat(f.uploads.markCommitted(first.id(), "blob/1")).isTrue();
            assertThat(f.uploads.markCommitted(first.id(), "blob/again")).as("committed once").isFalse();
            assertThat(f.uploads.get(first.id()).blobKey()).isEqualTo("blob/1");
            assertThat(f.uploads.endIfUploading(first.id(), Upload.State.EXPIRED)).as("not uploading").isFalse();
            assertThat(f.uploads.supersede(second.id())).as("not committed").isFalse();
            assertThat(f.uploads.supersede(first.id())).isTrue();
            assertThat(f.uploads.committed(f.round)).isEmpty();
            assertThat(f.uploads.live(f.round, f.node)).extracting(Upload::id).containsExactly(second.id());
        }
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void aMergeReadsExactlyTheContributionsCommittedWhenItStarted(Databases.Kind kind) {
        try (Fixture f = Fixture.on(kind)) {
            Upload in = f.begin(Instant.now());
            Upload late = f.begin(Instant.now());
            f.uploads.markCommitted(in.id(), "blob/in");
            assertThat(f.rounds.startMerge(f.round)).isTrue();
            f.uploads.markCommitted(late.id(), "blob/late"); // what the round lock prevents; the snapshot holds anyway
            assertThat(f.uploads.mergeInputs(f.round)).extracting(Upload::id).containsExactly(in.id());
        }
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void anUploadIsAbandonedWhenIdlePastTheCutoffOrWhenItsRoundClosed(Databases.Kind kind) {
        try (Fixture f = Fixture.on(kind)) {
            Upload idle = f.begin(Instant.now().minusSeconds(3600));
            Upload busy = f.begin(Instant.now().minusSeconds(3600));
            assertThat(f.uploads.touchIfOpen(busy.id())).isTrue();
            assertThat(f.uploads.abandoned(Instant.now().minusSeconds(60))).extracting(Upload::id)
                    .containsExactly(idle.id());
            f.rounds.transition(f.round, RoundState.OPEN, RoundState.CANCELLED, "test", null);
            assertThat(f.uploads.abandoned(Instant.now().minusSeconds(60))).extracting(Upload::id)
                    .containsExactlyInAnyOrder(idle.id(), busy.id());
            assertThat(f.uploads.endIfUploading(idle.id(), Upload.State.EXPIRED)).isTrue();
            assertThat(f.uploads.touchIfOpen(idle.id())).as("an expired upload takes no more bytes").isFalse();
        }
    }
}
