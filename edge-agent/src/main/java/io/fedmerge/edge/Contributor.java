package io.fedmerge.edge;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.adapter.AdapterLayout;
import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.io.AtomicFiles;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointDigest;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.taskvector.SparseDeltaEncoder;
import io.fedmerge.core.taskvector.Sparsification;
import io.fedmerge.core.taskvector.TaskVectorBuilder;
import io.fedmerge.core.taskvector.XorDeltaEncoder;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.proto.v1.TaskVectorManifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Builds this hospital's contribution with merge-core (only weights leave the hospital, never data) and uploads it:
 * a fine-tune XOR-coded against the base (fedmerge-xor-v1, lossless and smaller than the fine-tune; or, for hubs
 * that predate it, the float32 task vector), its task vector thinned as the hospital chose (fedmerge-sparse-v1,
 * lossy, opt-in), or a LoRA adapter as it is. The encoded file is kept in the work
 * directory under a fingerprint of the base and the fine-tune (file names, sizes and modification times: cheap,
 * unlike hashing 14 GB), so a retried contribution does not rebuild it and a changed fine-tune never reuses a stale
 * one.
 */
public final class Contributor {
    public record Result(Path taskVector, TaskVectorManifest manifest, HubClient.Uploaded upload) {}

    /** Reports upload progress: bytes committed so far of the task vector's total size. */
    public interface Progress {
        void update(long totalBytes, long bytesDone);
    }

    /** How a fine-tune travels: XOR-coded against the base (lossless, smaller than the fine-tune) or float32 Δ. */
    public enum Encoding { XOR, F32 }

    private final Encoding encoding;
    private final Sparsification sparsification;

    /** @param sparsification how to thin a fine-tune's task vector before sending it, or null to send it whole */
    public Contributor(Encoding encoding, Sparsification sparsification) {
        this.encoding = encoding;
        this.sparsification = sparsification;
    }

    public Contributor(Encoding encoding) {
        this(encoding, null);
    }

    public Contributor() {
        this(Encoding.XOR);
    }

    public Result contribute(HubClient hub, String roundId, Path base, Path finetuned, Path workDir,
            Progress progress) {
        try {
            Files.createDirectories(workDir);
            String prefix = "round-" + roundId + "-";
            String key = prefix + fingerprint(base, finetuned);
            Prepared p = sparsification != null ? sparse(base, finetuned, workDir, prefix, key)
                    : encoding == Encoding.XOR ? xorCoded(base, finetuned, workDir, prefix, key)
                    : float32(base, finetuned, workDir, prefix, key);
            return upload(hub, roundId, p.file(), p.manifest(), progress);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the task vector in " + workDir, e);
        }
    }

    /** A contribution file in the work directory, and its manifest. */
    private record Prepared(Path file, TaskVectorManifest manifest) {}

    private Prepared sparse(Path base, Path finetuned, Path workDir, String prefix, String key) throws IOException {
        Sparsification s = sparsification;
        Path file = workDir.resolve(key + "-" + s.kind().label() + "-" + s.density() + "-" + s.seed() + ".fmsparse");
        String digest = baseDigest(workDir, base);
        if (!Files.exists(file)) {
            deleteStale(workDir, prefix);
            new SparseDeltaEncoder().encode(base, finetuned, file, s, digest);
        }
        return new Prepared(file, Manifests.ofSparse(file, base, digest, s));
    }

    private static Prepared xorCoded(Path base, Path finetuned, Path workDir, String prefix, String key)
            throws IOException {
        Path file = workDir.resolve(key + ".fmxor");
        String digest = baseDigest(workDir, base);
        if (!Files.exists(file)) {
            deleteStale(workDir, prefix);
            new XorDeltaEncoder().encode(base, finetuned, file, digest);
        }
        return new Prepared(file, Manifests.ofXorCoded(file, base, digest));
    }

    private static Prepared float32(Path base, Path finetuned, Path workDir, String prefix, String key)
            throws IOException {
        Path file = workDir.resolve(key + ".safetensors");
        if (!Files.exists(file)) {
            deleteStale(workDir, prefix);
            new TaskVectorBuilder().build(base, finetuned, file, DType.F32, MergeProgress.NONE);
        }
        return new Prepared(file, Manifests.of(file));
    }

    private static Result upload(HubClient hub, String roundId, Path file, TaskVectorManifest m, Progress progress) {
        return new Result(file, m, hub.upload(roundId, file, m, done -> progress.update(m.getTotalBytes(), done)));
    }

    /**
     * Uploads a PEFT LoRA adapter as it is (its weights file: tens of MB instead of a 2× float32 task vector),
     * after checking here what the hub will check: the adapter reads, and every module fits this base.
     */
    public Result contributeAdapter(HubClient hub, String roundId, Path base, Path adapterDir, Path workDir,
            Progress progress) {
        try {
            Files.createDirectories(workDir);
            try (Checkpoint b = Checkpoint.open(base); LoraAdapter adapter = LoraAdapter.open(adapterDir)) {
                String mismatch = new AdapterLayout(adapter.modules(), adapter.savedTensors()).mismatch(
                        t -> b.contains(t) ? b.info(t).shape() : null, "adapter " + adapterDir,
                        adapter.config().baseModelNameOrPath(), new ArrayList<>());
                if (mismatch != null) {
                    throw new FedmergeException(mismatch + " (base " + base + ")");
                }
            }
            String digest = baseDigest(workDir, base);
            return upload(hub, roundId, adapterDir.resolve(LoraAdapter.WEIGHTS_FILE),
                    Manifests.ofAdapter(adapterDir, digest), progress);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the adapter contribution in " + workDir, e);
        }
    }

    /** The base's digest (a full read of it), kept in the work directory under the base's fingerprint. */
    private static String baseDigest(Path workDir, Path base) throws IOException {
        Path cached = workDir.resolve("base-" + fingerprint(base) + ".digest");
        if (Files.isRegularFile(cached)) {
            return Files.readString(cached).strip();
        }
        try (Checkpoint b = Checkpoint.open(base)) {
            String digest = CheckpointDigest.of(b);
            AtomicFiles.write(cached, digest + "\n", false);
            return digest;
        }
    }

    /** 16 hex digits of a SHA-256 over every file of the given checkpoints: name, size, last modification. */
    static String fingerprint(Path... dirs) throws IOException {
        StringBuilder listing = new StringBuilder();
        for (Path dir : dirs) {
            List<Path> files;
            try (Stream<Path> s = Files.isDirectory(dir) ? Files.list(dir) : Stream.of(dir)) {
                files = s.filter(Files::isRegularFile).sorted().toList();
            }
            listing.append(dir.toAbsolutePath()).append('\n');
            for (Path f : files) {
                listing.append(f.getFileName()).append('|').append(Files.size(f)).append('|')
                        .append(Files.getLastModifiedTime(f).toMillis()).append('\n');
            }
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(listing.toString()
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK ships SHA-256", e);
        }
    }

    private static void deleteStale(Path workDir, String prefix) throws IOException {
        try (Stream<Path> s = Files.list(workDir)) {
            for (Path old : s.filter(p -> p.getFileName().toString().startsWith(prefix)).toList()) {
                Files.deleteIfExists(old);
            }
        }
    }
}
