package io.fedmerge.edge;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointDigest;
import io.fedmerge.core.io.FileTrees;
import io.fedmerge.proto.v1.ArtifactFile;
import io.fedmerge.proto.v1.ArtifactManifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Downloads a published checkpoint (or adapter) into a hidden directory beside the target (kept across interruptions so the
 * next attempt resumes), checks every file's SHA-256 and the checkpoint digest, then renames it into place: the
 * installed model is either complete and verified, or absent.
 */
public final class ModelInstaller {
    public record Installed(Path dir, String digest, long bytesReceived, ArtifactManifest manifest) {}

    /** Installs the round's consolidated checkpoint into {@code target}. */
    public Installed install(HubClient hub, String roundId, Path target, LongConsumer progress) {
        return install(hub, roundId, 0, target, progress);
    }

    /**
     * Installs one of an EVALUATING round's candidates ({@code candidate} 1-based; 0 = what the round published),
     * with the same checks, so that this site can score it.
     */
    public Installed install(HubClient hub, String roundId, int candidate, Path target, LongConsumer progress) {
        Path dir = target.toAbsolutePath().normalize();
        if (Files.exists(dir)) {
            throw new FedmergeException(dir + " already exists; choose a new directory for round " + roundId);
        }
        ArtifactManifest manifest = hub.artifact(roundId, candidate);
        if (manifest.getFilesCount() == 0) {
            throw new FedmergeException("round " + roundId + " published only a LoRA adapter, no checkpoint;"
                    + " install it with installAdapter (edge pull installs whatever was published)");
        }
        Path staging = dir.resolveSibling("." + dir.getFileName() + ".download");
        try {
            long received = download(hub, roundId, candidate, manifest.getFilesList(), "", staging, progress);
            String digest;
            try (Checkpoint c = Checkpoint.open(staging)) {
                digest = CheckpointDigest.of(c);
            }
            if (!digest.equals(manifest.getCheckpointDigest())) {
                FileTrees.deleteRecursively(staging);
                throw new FedmergeException("downloaded checkpoint has digest " + digest + ", the hub published "
                        + manifest.getCheckpointDigest());
            }
            Files.createDirectories(dir.getParent());
            Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
            return new Installed(dir, digest, received, manifest);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install round " + roundId + " into " + dir, e);
        }
    }

    /**
     * Installs the round's published LoRA adapter into {@code target} as a PEFT directory (load it onto the base
     * with PEFT, or merge with it): every file's SHA-256 checked, the adapter read back before it is renamed into
     * place.
     */
    public Installed installAdapter(HubClient hub, String roundId, Path target, LongConsumer progress) {
        Path dir = target.toAbsolutePath().normalize();
        if (Files.exists(dir)) {
            throw new FedmergeException(dir + " already exists; choose a new directory for round " + roundId);
        }
        ArtifactManifest manifest = hub.artifact(roundId);
        if (manifest.getAdapterFilesCount() == 0) {
            throw new FedmergeException("round " + roundId + " published no LoRA adapter");
        }
        Path staging = dir.resolveSibling("." + dir.getFileName() + ".download");
        try {
            long received = download(hub, roundId, 0, manifest.getAdapterFilesList(), "adapter/", staging, progress);
            try (LoraAdapter a = LoraAdapter.open(staging)) {
                a.modules(); // it reads as an adapter: config, factor pairs, ranks
            } catch (FedmergeException e) {
                FileTrees.deleteRecursively(staging);
                throw new FedmergeException("the downloaded adapter of round " + roundId + " does not read: "
                        + e.getMessage());
            }
            Files.createDirectories(dir.getParent());
            Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
            return new Installed(dir, manifest.getAdapterHow() + " rank " + manifest.getAdapterRank(), received,
                    manifest);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install the adapter of round " + roundId + " into " + dir, e);
        }
    }

    /** Downloads (resuming what an earlier attempt left in {@code staging}) and checks each file's SHA-256. */
    private static long download(HubClient hub, String roundId, int candidate, List<ArtifactFile> files,
            String prefix, Path staging, LongConsumer progress) throws IOException {
        Files.createDirectories(staging);
        long received = 0;
        long done = 0;
        for (ArtifactFile f : files) {
            long base = done;
            Path local = staging.resolve(f.getName());
            received += hub.download(roundId, candidate, f.toBuilder().setName(prefix + f.getName()).build(), local,
                    n -> progress.accept(base + n));
            String sha = Manifests.sha256(local);
            if (!sha.equals(f.getSha256())) {
                Files.delete(local);
                throw new FedmergeException("downloaded " + f.getName() + " has SHA-256 " + sha + ", the hub"
                        + " published " + f.getSha256() + "; the file was discarded, run the command again");
            }
            done += f.getSize();
        }
        return received;
    }
}
