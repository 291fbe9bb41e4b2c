package io.fedmerge.core.io;

import io.fedmerge.core.FedmergeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a Hugging Face checkpoint directory: shards of at most {@code maxShardBytes} (a tensor larger than that gets
 * a shard of its own), the index when there is more than one shard, and the files carried from the base. Everything
 * goes into a hidden staging directory beside the target, which is renamed into place only by {@link #commit}: a
 * failed or interrupted merge never leaves a partial checkpoint under the requested name.
 */
public final class CheckpointWriter implements AutoCloseable {
    public static final long DEFAULT_SHARD_BYTES = 5_000_000_000L;

    private final Path target;
    private final Path staging;
    private final List<SafetensorsWriter> shards = new ArrayList<>();
    private final Map<String, SafetensorsWriter> shardByTensor = new LinkedHashMap<>();
    private final Map<String, String> weightMap = new LinkedHashMap<>();
    private final long totalBytes;
    private boolean done;

    public CheckpointWriter(Path target, List<TensorSpec> tensors, long maxShardBytes, Map<String, String> metadata) {
        this(target, tensors, maxShardBytes, metadata, Checkpoint.SINGLE_FILE);
    }

    /** A PEFT adapter directory: one unsharded {@code weightsFile} (adapter_model.safetensors) beside its config. */
    public static CheckpointWriter singleFile(Path target, List<TensorSpec> tensors, Map<String, String> metadata,
            String weightsFile) {
        return new CheckpointWriter(target, tensors, Long.MAX_VALUE, metadata, weightsFile);
    }

    private CheckpointWriter(Path target, List<TensorSpec> tensors, long maxShardBytes, Map<String, String> metadata,
            String singleFileName) {
        if (maxShardBytes <= 0) {
            throw new FedmergeException("shard size must be positive, found " + maxShardBytes);
        }
        this.target = target.toAbsolutePath().normalize();
        checkTargetUsable(this.target);
        List<List<TensorSpec>> plan = planShards(tensors, maxShardBytes);
        try {
            Files.createDirectories(this.target.getParent());
            // A plain directory (not createTempDirectory) so the published checkpoint gets the user's umask.
            this.staging = Files.createDirectory(this.target.resolveSibling("." + this.target.getFileName()
                    + ".partial-" + Long.toHexString(System.nanoTime())));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a staging directory beside " + this.target, e);
        }
        long total = 0;
        try {
            for (int i = 0; i < plan.size(); i++) {
                String name = plan.size() == 1 ? singleFileName
                        : String.format("model-%05d-of-%05d.safetensors", i + 1, plan.size());
                SafetensorsWriter w = new SafetensorsWriter(staging.resolve(name), plan.get(i), metadata);
                shards.add(w);
                for (TensorSpec t : plan.get(i)) {
                    shardByTensor.put(t.name(), w);
                    weightMap.put(t.name(), name);
                    total += t.byteLength();
                }
            }
        } catch (RuntimeException e) {
            abort();
            throw e;
        }
        this.totalBytes = total;
    }

    /** Fails before any work when the target exists and holds something: merges never overwrite a model. */
    public static void checkTargetUsable(Path target) {
        if (!Files.exists(target)) {
            return;
        }
        if (!Files.isDirectory(target)) {
            throw new FedmergeException("output " + target + " exists and is not a directory; choose a new path");
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(target)) {
            if (entries.iterator().hasNext()) {
                throw new FedmergeException("output directory " + target
                        + " is not empty; choose a new directory or remove it first");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + target, e);
        }
    }

    static List<List<TensorSpec>> planShards(List<TensorSpec> tensors, long maxShardBytes) {
        List<List<TensorSpec>> shards = new ArrayList<>();
        List<TensorSpec> current = new ArrayList<>();
        long size = 0;
        for (TensorSpec t : tensors) {
            if (!current.isEmpty() && size + t.byteLength() > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(t);
            size += t.byteLength();
        }
        shards.add(current);
        return shards;
    }

    public Path target() {
        return target;
    }

    public int shardCount() {
        return shards.size();
    }

    public long totalBytes() {
        return totalBytes;
    }

    public void write(String tensor, long first, float[] values, int count) {
        shardByTensor.get(tensor).write(tensor, first, values, count);
    }

    public void writeRaw(String tensor, long byteOffset, java.nio.ByteBuffer bytes) {
        shardByTensor.get(tensor).writeRaw(tensor, byteOffset, bytes);
    }

    /** Adds a small file (config, provenance) to the checkpoint. */
    public void addFile(String name, String content) {
        try {
            Files.writeString(staging.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + name + " in " + staging, e);
        }
    }

    /** {@link #carryFilesFrom(Path, java.util.function.Predicate)} skipping nothing more. */
    public void carryFilesFrom(Path baseDir) {
        carryFilesFrom(baseDir, name -> false);
    }

    /**
     * Copies config.json, the tokenizer and other small files of the base: never its weights in any format (another
     * model's weights in the output would be wrong, and pickles are code), and no file already written here (a model
     * card). {@code skip} names more files to leave out.
     */
    public void carryFilesFrom(Path baseDir, java.util.function.Predicate<String> skip) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(baseDir)) {
            for (Path p : entries) {
                String n = p.getFileName().toString();
                if (Files.isRegularFile(p) && !isWeightFile(n) && !n.equals(Checkpoint.INDEX_FILE)
                        && !n.startsWith(".") && !skip.test(n) && !Files.exists(staging.resolve(n))) {
                    Files.copy(p, staging.resolve(n));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy model files from " + baseDir, e);
        }
    }

    private static boolean isWeightFile(String name) {
        String n = name.toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".safetensors") || n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth")
                || n.endsWith(".ckpt") || n.endsWith(".h5") || n.endsWith(".msgpack") || n.endsWith(".gguf")
                || n.endsWith(".index.json");
    }

    /** Syncs every shard, writes the index and renames the staging directory to the target in one step. */
    public Path commit() {
        try {
            for (SafetensorsWriter w : shards) {
                w.sync();
                w.close();
            }
            if (shards.size() > 1) {
                addFile(Checkpoint.INDEX_FILE, new ShardIndex(totalBytes, weightMap).toJson());
            }
            if (Files.isDirectory(target)) {
                Files.delete(target); // empty, checked at construction
            }
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            done = true;
            return target;
        } catch (IOException e) {
            abort();
            throw new UncheckedIOException("cannot publish " + target, e);
        }
    }

    /** Deletes everything written so far. Safe to call more than once. */
    public void abort() {
        if (done) {
            return;
        }
        done = true;
        for (SafetensorsWriter w : shards) {
            try {
                w.close();
            } catch (UncheckedIOException ignored) {
                // Already failing; the staging directory is removed below either way.
            }
        }
        FileTrees.deleteRecursively(staging);
    }

    @Override
    public void close() {
        abort();
    }
}
