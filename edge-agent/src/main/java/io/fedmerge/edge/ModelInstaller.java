package io.fedmerge.edge;

import io.fedmerge.core.FedmergeException;
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
import java.util.function.LongConsumer;

/**
 * Downloads a published checkpoint into a hidden directory beside the target (kept across interruptions so the
 * next attempt resumes), checks every file's SHA-256 and the checkpoint digest, then renames it into place: the
 * installed model is either complete and verified, or absent.
 */
public final class ModelInstaller {
    public record Installed(Path dir, String digest, long bytesReceived, ArtifactManifest manifest) {}

    public Installed install(HubClient hub, String roundId, Path target, LongConsumer progress) {
        Path dir = target.toAbsolutePath().normalize();
        if (Files.exists(dir)) {
            throw new FedmergeException(dir + " already exists; choose a new directory for round " + roundId);
        }
        ArtifactManifest manifest = hub.artifact(roundId);
        Path staging = dir.resolveSibling("." + dir.getFileName() + ".download");
        try {
            Files.createDirectories(staging);
            long received = 0;
            long done = 0;
            for (ArtifactFile f : manifest.getFilesList()) {
                long base = done;
                received += hub.download(roundId, f, staging.resolve(f.getName()), n -> progress.accept(base + n));
                String sha = Manifests.sha256(staging.resolve(f.getName()));
                if (!sha.equals(f.getSha256())) {
                    Files.delete(staging.resolve(f.getName()));
                    throw new FedmergeException("downloaded " + f.getName() + " has SHA-256 " + sha + ", the hub"
                            + " published " + f.getSha256() + "; the file was discarded, run the command again");
                }
                done += f.getSize();
            }
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
}
