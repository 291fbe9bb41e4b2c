package io.fedmerge.core.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A model on disk in the Hugging Face layout: a directory with {@code model.safetensors}, or shards named by
 * {@code model.safetensors.index.json}, plus {@code config.json} and tokenizer files; or a single safetensors file
 * (how task vectors travel). Tensors are listed in file order: shard by shard, by data offset.
 */
public final class Checkpoint implements AutoCloseable {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    public static final String CONFIG_FILE = "config.json";

    private final Path location;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> fileByTensor;
    private final List<String> names;
    /** Visible name → stored name, for a view made by {@link #renamed}; empty otherwise. */
    private final Map<String, String> stored;

    private Checkpoint(Path location, List<SafetensorsFile> files, Map<String, SafetensorsFile> fileByTensor,
            List<String> names, Map<String, String> stored) {
        this.location = location;
        this.files = files;
        this.fileByTensor = fileByTensor;
        this.names = names;
        this.stored = stored;
    }

    private Checkpoint(Path location, List<SafetensorsFile> files) {
        this.location = location;
        this.stored = Map.of();
        this.files = List.copyOf(files);
        this.fileByTensor = new LinkedHashMap<>();
        List<String> order = new ArrayList<>();
        for (SafetensorsFile f : files) {
            for (TensorInfo t : f.tensors()) {
                SafetensorsFile previous = fileByTensor.put(t.name(), f);
                if (previous != null) {
                    closeAll(files);
                    throw new InvalidSafetensorsException(location, "tensor '" + t.name() + "' appears in both "
                            + previous.path().getFileName() + " and " + f.path().getFileName());
                }
                order.add(t.name());
            }
        }
        this.names = Collections.unmodifiableList(order);
    }

    /** Opens a checkpoint directory or a single safetensors file, validating every header (and the index). */
    public static Checkpoint open(Path location) {
        if (Files.isRegularFile(location)) {
            return new Checkpoint(location, List.of(SafetensorsFile.open(location)));
        }
        if (!Files.isDirectory(location)) {
            throw new InvalidSafetensorsException(location, "no such checkpoint directory or safetensors file");
        }
        Path index = location.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return openSharded(location, ShardIndex.read(index));
        }
        Path single = location.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return new Checkpoint(location, List.of(SafetensorsFile.open(single)));
        }
        throw new InvalidSafetensorsException(location, "neither " + SINGLE_FILE + " nor " + INDEX_FILE
                + " found: expected a Hugging Face safetensors checkpoint directory");
    }

    private static Checkpoint openSharded(Path dir, ShardIndex index) {
        Map<String, List<String>> tensorsByShard = new TreeMap<>();
        index.weightMap().forEach((tensor, shard) ->
                tensorsByShard.computeIfAbsent(shard, s -> new ArrayList<>()).add(tensor));
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            for (Map.Entry<String, List<String>> e : tensorsByShard.entrySet()) {
                Path shardPath = dir.resolve(e.getKey()).normalize();
                if (!shardPath.getParent().equals(dir.normalize())) {
                    throw new InvalidSafetensorsException(dir.resolve(INDEX_FILE), "shard name '" + e.getKey()
                            + "' points outside the checkpoint directory");
                }
                if (!Files.isRegularFile(shardPath)) {
                    throw new InvalidSafetensorsException(dir.resolve(INDEX_FILE), "shard '" + e.getKey()
                            + "' named for " + e.getValue().size() + " tensors (e.g. '" + e.getValue().getFirst()
                            + "') is missing from " + dir);
                }
                SafetensorsFile shard = SafetensorsFile.open(shardPath);
                opened.add(shard);
                checkShardMatchesIndex(shard, e.getKey(), e.getValue(), index);
            }
            return new Checkpoint(dir, opened);
        } catch (RuntimeException e) {
            closeAll(opened);
            throw e;
        }
    }

    private static void checkShardMatchesIndex(SafetensorsFile shard, String shardName, List<String> expected,
            ShardIndex index) {
        for (String tensor : expected) {
            if (shard.tensor(tensor) == null) {
                throw new InvalidSafetensorsException(shard.path(), "index maps tensor '" + tensor
                        + "' to this shard but the shard does not contain it");
            }
        }
        for (TensorInfo t : shard.tensors()) {
            if (!shardName.equals(index.weightMap().get(t.name()))) {
                throw new InvalidSafetensorsException(shard.path(), "tensor '" + t.name()
                        + "' is in this shard but the index maps it to " + index.weightMap().get(t.name()));
            }
        }
    }

    public Path location() {
        return location;
    }

    /**
     * This checkpoint's tensors under other names, in the order of {@code names} (visible name → stored name): how a
     * layer-range merge sees layers 8–15 of a model as layers 0–7 of its output. The view takes over the files, so
     * close the view and not this checkpoint.
     */
    public Checkpoint renamed(Map<String, String> names) {
        Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
        Map<String, String> storedNames = new LinkedHashMap<>();
        names.forEach((visible, storedName) -> {
            if (!contains(storedName)) {
                throw new InvalidSafetensorsException(location, "has no tensor '" + storedName + "'");
            }
            byName.put(visible, fileOf(storedName));
            storedNames.put(visible, stored(storedName));
        });
        return new Checkpoint(location, files, byName, List.copyOf(names.keySet()), storedNames);
    }

    private String stored(String name) {
        return stored.getOrDefault(name, name);
    }

    /** The directory holding config.json and tokenizer files (the location itself, or a single file's parent). */
    public Path directory() {
        return Files.isDirectory(location) ? location : location.toAbsolutePath().getParent();
    }

    public List<String> tensorNames() {
        return names;
    }

    public boolean contains(String name) {
        return fileByTensor.containsKey(name);
    }

    public TensorInfo info(String name) {
        SafetensorsFile f = fileByTensor.get(name);
        return f == null ? null : f.tensor(stored(name));
    }

    public SafetensorsFile fileOf(String name) {
        return fileByTensor.get(name);
    }

    public List<SafetensorsFile> files() {
        return files;
    }

    /** Metadata of the first file (task vectors are single files, so this is theirs). */
    public Map<String, String> metadata() {
        return files.getFirst().header().metadata();
    }

    public long totalBytes() {
        long sum = 0;
        for (String n : names) {
            sum += info(n).byteLength();
        }
        return sum;
    }

    /** Decodes elements [first, first + count) of tensor {@code name} as float32. */
    public void readFloats(String name, long first, int count, float[] dst) {
        SafetensorsFile f = fileByTensor.get(name);
        f.readFloats(f.tensor(stored(name)), first, count, dst);
    }

    /** Maps elements [first, first + count) of tensor {@code name} for the life of {@code arena}. */
    public MappedElements mapElements(String name, long first, int count, java.lang.foreign.Arena arena) {
        SafetensorsFile f = fileByTensor.get(name);
        return f.mapElements(f.tensor(stored(name)), first, count, arena);
    }

    /** Elements [first, first + count) of tensor {@code name}, read as decoded on the thread of {@code arena}. */
    public ElementRun readElements(String name, long first, int count, java.lang.foreign.Arena arena) {
        SafetensorsFile f = fileByTensor.get(name);
        return f.readElements(f.tensor(stored(name)), first, count, arena);
    }

    /** Where tensor {@code name}'s bytes are on disk. */
    public FileRange fileRange(String name) {
        SafetensorsFile f = fileByTensor.get(name);
        TensorInfo t = f.tensor(stored(name));
        return new FileRange(f.path(), f.fileOffset(t), t.byteLength());
    }

    /** Reads config.json as text, or null if the checkpoint has none. */
    public String configJson() {
        Path config = directory().resolve(CONFIG_FILE);
        if (!Files.isRegularFile(config)) {
            return null;
        }
        try {
            return Files.readString(config);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + config, e);
        }
    }

    @Override
    public void close() {
        closeAll(files);
    }

    private static void closeAll(List<SafetensorsFile> files) {
        for (SafetensorsFile f : files) {
            f.close();
        }
    }
}
