package io.fedmerge.hub.round;

import io.fedmerge.core.adapter.AdapterConfig;
import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.method.UnitReport;
import io.fedmerge.core.io.CheckpointDigest;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.FileHashes;
import io.fedmerge.core.io.FileTrees;
import io.fedmerge.core.method.MethodRegistry;
import io.fedmerge.core.plan.AdapterExport;
import io.fedmerge.core.plan.MergeExecutor;
import io.fedmerge.core.plan.MergePlan;
import io.fedmerge.core.plan.MergePlanner;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.plan.OutputFiles;
import io.fedmerge.core.plan.TensorMergeRunner;
import io.fedmerge.hub.AuditLog;
import io.fedmerge.hub.HubProperties;
import io.fedmerge.hub.metrics.HubMetrics;
import io.fedmerge.hub.model.BaseModel;
import io.fedmerge.hub.model.BaseModelRegistry;
import io.fedmerge.hub.storage.BlobStore;
import io.fedmerge.hub.storage.DiskSpace;
import io.fedmerge.hub.transfer.Upload;
import io.fedmerge.hub.transfer.UploadStore;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Runs consolidation merges in the background with merge-core, one at a time, on local copies of the stored
 * contributions in the hub's work directory. The output is written there, stored in the blob store, and only then
 * does the round become PUBLISHED; a hub
 * restarted while a round was MERGING runs that merge again from its persisted inputs.
 */
@Component
public class MergeJobs {
    private static final Logger LOG = LoggerFactory.getLogger(MergeJobs.class);
    /** Where an evaluated round's candidates are stored, each under its 1-based index, until one is published. */
    static final String CANDIDATES = "candidates/";
    /** The version the card names: the jar's, or the build's when run from classes. */
    static final String HUB_VERSION = java.util.Objects.requireNonNullElse(
            MergeJobs.class.getPackage().getImplementationVersion(), "0.1.0");

    private final RoundStore rounds;
    private final UploadStore uploads;
    private final BaseModelRegistry bases;
    private final BlobStore blobs;
    private final HubMetrics metrics;
    private final AuditLog audit;
    private final HubProperties properties;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fedmerge-merge-jobs");
        t.setDaemon(true);
        return t;
    });

    private final DiskSpace disk;
    private final UnitReports unitReports;

    MergeJobs(RoundStore rounds, UploadStore uploads, BaseModelRegistry bases, BlobStore blobs,
            HubMetrics metrics, AuditLog audit, HubProperties properties, DiskSpace disk, UnitReports unitReports) {
        this.disk = disk;
        this.unitReports = unitReports;
        this.rounds = rounds;
        this.uploads = uploads;
        this.bases = bases;
        this.blobs = blobs;
        this.metrics = metrics;
        this.audit = audit;
        this.properties = properties;
    }

    /** This replica's identity in merge claims. */
    private final String replica = UUID.randomUUID().toString();
    private final Set<String> running = ConcurrentHashMap.newKeySet();

    /**
     * At start and then periodically: a MERGING round whose owner's lease expired (that replica stopped or died) is
     * claimed and merged again from its stored contributions. A live owner keeps renewing, so nobody steals it.
     */
    @EventListener(ApplicationReadyEvent.class)
    void resumeInterruptedMerges() {
        adoptOrphans();
    }

    /** One scan for orphaned merges (the scheduler runs it every fedmerge.hub.lease-check-ms). */
    @org.springframework.scheduling.annotation.Scheduled(fixedDelayString = "${fedmerge.hub.lease-check-ms:10000}",
            initialDelayString = "${fedmerge.hub.lease-check-ms:10000}")
    public void adoptOrphans() {
        for (String id : rounds.orphanedMerges(Instant.now())) {
            LOG.info("round={} is MERGING without a live owner; merging it again from its stored contributions", id);
            submit(id);
        }
    }

    /** Renews this replica's claims while its merges run. */
    @org.springframework.scheduling.annotation.Scheduled(fixedDelayString = "${fedmerge.hub.lease-renewal-ms:10000}")
    void renewLeases() {
        Instant now = Instant.now();
        for (String id : running) {
            rounds.claimMerge(id, replica, now, now.plus(properties.mergeLease()));
        }
    }

    public void submit(String roundId) {
        executor.submit(() -> {
            Instant now = Instant.now();
            if (!rounds.claimMerge(roundId, replica, now, now.plus(properties.mergeLease()))) {
                LOG.info("round={} merge is owned by another replica", roundId);
                return;
            }
            audit.record("hub:" + replica, "merge.claim", roundId, "lease " + properties.mergeLease().toSeconds()
                    + " s");
            running.add(roundId);
            try {
                run(roundId);
            } finally {
                running.remove(roundId);
            }
        });
    }

    /** Merges this replica is running now. */
    int running() {
        return running.size();
    }

    @PreDestroy
    void stop() {
        executor.shutdownNow();
    }

    private void run(String roundId) {
        Instant start = Instant.now();
        try {
            Round round = rounds.get(roundId);
            Artifact artifact = merge(round, start);
            if (round.evaluation() != null) {
                if (rounds.startEvaluating(roundId, artifact)) {
                    audit.record("hub:" + replica, "round.evaluate", roundId, artifact.evaluation().candidates()
                            .size() + " candidate(s) for the sites to score");
                } else {
                    dropIfCancelled(roundId);
                }
            } else if (rounds.transition(roundId, RoundState.MERGING, RoundState.PUBLISHED, null, artifact)) {
                audit.record("hub:" + replica, "round.publish", roundId, "digest " + artifact.checkpointDigest());
            } else {
                dropIfCancelled(roundId);
            }
            metrics.mergeFinished(Duration.between(start, Instant.now()));
        } catch (MergeAbandoned e) {
            LOG.info("round={} was {} while it merged; merge stopped", roundId, e.state);
            dropIfCancelled(roundId);
        } catch (Exception | Error e) {
            if (Thread.currentThread().isInterrupted()) {
                LOG.warn("round={} merge interrupted by shutdown; it will run again at the next start", roundId);
                return;
            }
            LOG.error("round={} merge failed", roundId, e);
            rounds.transition(roundId, RoundState.MERGING, RoundState.FAILED, "merge failed: " + e.getMessage(), null);
            audit.record("hub", "round.fail", roundId, e.getMessage());
        } finally {
            rounds.signal();
        }
    }

    /** A merge stopped because its round left MERGING (an admin cancelled it). */
    private static final class MergeAbandoned extends RuntimeException {
        final RoundState state;

        MergeAbandoned(RoundState state) {
            super("round left MERGING: " + state, null, false, false);
            this.state = state;
        }
    }

    /**
     * A round cancelled while it merged publishes nothing: whatever this merge stored for it goes. (A round another
     * replica published keeps its artifact: the same keys hold the same bytes.)
     */
    private void dropIfCancelled(String roundId) {
        if (rounds.find(roundId).map(Round::state).orElse(null) != RoundState.CANCELLED) {
            return;
        }
        try {
            blobs.deleteTree("rounds/" + roundId + "/artifact/");
            blobs.deleteTree("rounds/" + roundId + "/adapter/");
            blobs.deleteTree("rounds/" + roundId + "/" + CANDIDATES);
            blobs.delete("rounds/" + roundId + "/merge.yml");
        } catch (IOException e) {
            LOG.warn("round={} was cancelled; its unpublished artifact could not be deleted yet: {}", roundId,
                    e.getMessage());
        }
    }

    private Artifact merge(Round round, Instant start) throws IOException {
        BaseModel base = bases.require(round.baseModelId());
        // Exactly the contributions fixed when the round started merging, in node-id order.
        List<Upload> contributions = new ArrayList<>(uploads.mergeInputs(round.id()));
        if (contributions.isEmpty()) {
            throw new IllegalStateException("round " + round.id() + " has no contributions in its merge snapshot");
        }
        contributions.sort(Comparator.comparing(Upload::nodeId));
        // The output is about the base's size; a store without local files stages the inputs here too.
        long stagedCopies = blobs.stagesCopies() ? contributions.stream().mapToLong(Upload::totalBytes).sum() : 0;
        // An adapter that must be extracted needs a float32 copy of the merge first: at most twice a 16-bit base.
        long adapterScratch = round.publish().adapter() ? 2 * base.tensorBytes() : 0;
        // An evaluated round keeps every candidate until the sites have scored them.
        long outputs = base.tensorBytes() * (round.evaluation() == null ? 1 : round.evaluation().candidates().size());
        disk.requireRoomFor(outputs + stagedCopies + adapterScratch, "the merge of round " + round.id());
        Path work = properties.dataDir().resolve("work").resolve(round.id()).toAbsolutePath();
        FileTrees.deleteRecursively(work); // a previous attempt that never published
        Files.createDirectories(work);
        List<BlobStore.Staged> inputs = new ArrayList<>();
        try {
            // The published mergekit_config.yml names inputs relative to the work directory: the base as "base"
            // and each contribution by its node's pseudonymous id, never a hospital's name or a hub path. The
            // model strings also key DARE's random streams, so every replica and store merges under the same names.
            Files.createSymbolicLink(work.resolve(MergeConfigs.BASE), bases.location(base));
            List<String> models = new ArrayList<>();
            Files.createDirectories(work.resolve("contributions"));
            for (Upload u : contributions) {
                BlobStore.Staged staged = blobs.stage(u.blobKey());
                inputs.add(staged);
                models.add(stageContribution(work, u, staged.path()));
            }
            OutputFiles files = new OutputFiles(true, true, FederatedCard.section(round, base, contributions,
                    HUB_VERSION));
            if (round.evaluation() != null) {
                return mergeCandidates(round, models, work, start, files);
            }
            String yaml = MergeConfigs.yaml(round.mergeMethod(), Path.of(MergeConfigs.BASE), models,
                    round.parameters(), round.modelParameters());
            Path out = work.resolve("artifact");
            Path adapterOut = work.resolve("adapter");
            Publication publish = round.publish();
            MergeProgress progress = cancelChecking(round, start);
            long began = System.nanoTime();
            Artifact.Adapter adapter = null;
            List<UnitReport> units = List.of();
            try (MergePlan plan = new MergePlanner(new MethodRegistry()).plan(MergeConfigs.parse(yaml, work))) {
                if (publish.model()) {
                    units = executor(files).execute(plan, out, progress).units();
                }
                if (publish.adapter()) {
                    AdapterExport.Result r = AdapterExport.find().export(new AdapterExport.Request(plan, adapterOut,
                            publish.rank(), properties.threads(), TensorMergeRunner.DEFAULT_SLICE_ELEMENTS, progress));
                    adapter = new Artifact.Adapter(files(adapterOut), r.how(), r.rank(), r.worstRelativeError());
                    LOG.info("round={} adapter: rank {} ({}), worst relative error {}", round.id(), r.rank(), r.how(),
                            String.format("%.3g", r.worstRelativeError()));
                }
            }
            double seconds = (System.nanoTime() - began) / 1e9;
            LOG.info("round={} merged {} contributions with {} in {} s", round.id(), models.size(),
                    round.mergeMethod(), String.format("%.2f", seconds));
            Artifact artifact = publish.model() ? new Artifact(files(out), digest(out), models.size(), seconds, adapter)
                    : new Artifact(List.of(), null, models.size(), seconds, adapter);
            publishFiles(round.id(), yaml, publish.model() ? out : null, adapter == null ? null : adapterOut, work);
            unitReports.store(round.id(), units, work);
            return artifact;
        } finally {
            for (BlobStore.Staged staged : inputs) {
                staged.close();
            }
            FileTrees.deleteRecursively(work);
        }
    }

    /**
     * Every candidate of an evaluated round, one after the other (each streaming, as any merge), stored under
     * candidates/{k}/ with the YAML that made it; the sites score them before anything is published.
     */
    private Artifact mergeCandidates(Round round, List<String> models, Path work, Instant start, OutputFiles card)
            throws IOException {
        List<Artifact.Candidate> candidates = new ArrayList<>();
        long began = System.nanoTime();
        int k = 0;
        for (EvaluationPlan.Candidate c : round.evaluation().candidates()) {
            k++;
            String yaml = MergeConfigs.yaml(c.mergeMethod(), Path.of(MergeConfigs.BASE), models, c.parameters(),
                    c.modelParameters());
            Path out = work.resolve("candidate-" + k);
            try (MergePlan plan = new MergePlanner(new MethodRegistry()).plan(MergeConfigs.parse(yaml, work))) {
                executor(card).execute(plan, out, cancelChecking(round, start));
            }
            String prefix = "rounds/" + round.id() + "/" + CANDIDATES + k + "/";
            List<Artifact.File> files = files(out);
            String digest = digest(out);
            try (Stream<Path> list = Files.list(out)) {
                for (Path p : list.sorted().toList()) {
                    blobs.put(prefix + p.getFileName(), p);
                }
            }
            blobs.put("rounds/" + round.id() + "/" + CANDIDATES + k + ".yml", Files.writeString(
                    work.resolve("candidate-" + k + ".yml"), yaml));
            candidates.add(new Artifact.Candidate(k, c.mergeMethod(), files, digest));
            LOG.info("round={} candidate {} ({}) merged", round.id(), k, c.mergeMethod());
        }
        double seconds = (System.nanoTime() - began) / 1e9;
        return new Artifact(List.of(), null, models.size(), seconds, null,
                new Artifact.Evaluation(candidates, null));
    }

    /** Reports progress and, every merge-cancel-check, stops a merge whose round an admin cancelled meanwhile. */
    private MergeProgress cancelChecking(Round round, Instant start) {
        return new MergeProgress() {
            private long checkedAt = System.nanoTime();

            @Override
            public void tensorDone(String name, int done, long bytesDone) {
                metrics.mergeProgress(bytesDone, Duration.between(start, Instant.now()).toMillis() / 1000.0);
                if (System.nanoTime() - checkedAt >= properties.mergeCancelCheck().toNanos()) {
                    checkedAt = System.nanoTime();
                    RoundState now = rounds.find(round.id()).map(Round::state).orElse(RoundState.CANCELLED);
                    if (now != RoundState.MERGING) {
                        throw new MergeAbandoned(now);
                    }
                }
            }
        };
    }

    /**
     * Links a contribution into the work directory under its node's pseudonymous id: a task vector as one file, a
     * LoRA adapter as a PEFT directory (its weights file and the adapter_config.json its manifest carried).
     */
    private MergeExecutor executor(OutputFiles files) {
        return new MergeExecutor(properties.threads(), CheckpointWriter.DEFAULT_SHARD_BYTES,
                TensorMergeRunner.DEFAULT_SLICE_ELEMENTS, files);
    }

    private static String stageContribution(Path work, Upload u, Path bytes) throws IOException {
        if (!u.isAdapter()) {
            String model = MergeConfigs.contribution(u.nodeId());
            Files.createSymbolicLink(work.resolve(model), bytes);
            return model;
        }
        String model = MergeConfigs.adapterContribution(u.nodeId());
        Path dir = Files.createDirectories(work.resolve(model));
        Files.createSymbolicLink(dir.resolve(LoraAdapter.WEIGHTS_FILE), bytes);
        Files.writeString(dir.resolve(AdapterConfig.FILE), u.manifest().getAdapterConfigJson());
        return model;
    }

    /**
     * Stores the published files (the checkpoint under artifact/, the adapter under adapter/) and the exact YAML
     * that produced them; the round is published only after this returns.
     */
    private void publishFiles(String roundId, String yaml, Path model, Path adapter, Path work) throws IOException {
        String prefix = "rounds/" + roundId + "/";
        for (Path dir : new Path[] {model, adapter}) {
            if (dir == null) {
                continue;
            }
            try (Stream<Path> list = Files.list(dir)) {
                for (Path p : list.sorted().toList()) {
                    blobs.put(prefix + (dir == model ? "artifact/" : "adapter/") + p.getFileName(), p);
                }
            }
        }
        Path config = Files.writeString(work.resolve("merge.yml"), yaml);
        blobs.put(prefix + "merge.yml", config);
    }

    private static List<Artifact.File> files(Path dir) throws IOException {
        List<Artifact.File> files = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.sorted().toList()) {
                files.add(new Artifact.File(p.getFileName().toString(), Files.size(p), FileHashes.sha256(p)));
            }
        }
        return files;
    }

    private static String digest(Path checkpoint) {
        try (Checkpoint c = Checkpoint.open(checkpoint)) {
            return CheckpointDigest.of(c);
        }
    }
}
