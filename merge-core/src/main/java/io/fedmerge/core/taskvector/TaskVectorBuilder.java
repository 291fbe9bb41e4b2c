package io.fedmerge.core.taskvector;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointDigest;
import io.fedmerge.core.io.FileTrees;
import io.fedmerge.core.io.SafetensorsWriter;
import io.fedmerge.core.io.TaskVectorFormat;
import io.fedmerge.core.io.TensorSpec;
import io.fedmerge.core.plan.AdapterDelta;
import io.fedmerge.core.plan.CheckpointDelta;
import io.fedmerge.core.plan.DeltaSource;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.plan.NonFiniteValueException;
import io.fedmerge.core.plan.TensorSetCheck;
import io.fedmerge.core.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Builds Δ = θ_finetuned − θ_base (or a LoRA adapter's ΔW) as one safetensors file, streaming slice by slice, with
 * the base digest and how it
 * was made in the metadata. Extra vocabulary rows of the fine-tune are dropped (MERGE_METHODS §2.2). The file is
 * written under a temporary name and renamed only when complete.
 */
public final class TaskVectorBuilder {
    private static final int SLICE = 1 << 21;

    public record Result(Path file, String baseDigest, int tensors, long bytes, List<String> warnings) {}

    public Result build(Path basePath, Path finetunedPath, Path out, DType dtype, MergeProgress progress) {
        return build(basePath, out, dtype, progress, base -> {
            Checkpoint tuned = Checkpoint.open(finetunedPath);
            try {
                List<String> warnings = TensorSetCheck.check(base, tuned, "fine-tuned model " + finetunedPath, true);
                return new Opened(new CheckpointDelta("fine-tuned model " + finetunedPath, tuned), warnings);
            } catch (RuntimeException e) {
                tuned.close();
                throw e;
            }
        });
    }

    /** Δ = s·B·A of a PEFT LoRA adapter (and its saved modules' differences), as a dense task vector. */
    public Result buildFromAdapter(Path basePath, Path adapterDir, Path out, DType dtype, MergeProgress progress) {
        return build(basePath, out, dtype, progress, base -> {
            LoraAdapter adapter = LoraAdapter.open(adapterDir);
            try {
                List<String> warnings = new ArrayList<>();
                return new Opened(AdapterDelta.bind(adapterDir.toString(), adapter, base, null, warnings), warnings);
            } catch (RuntimeException e) {
                adapter.close();
                throw e;
            }
        });
    }

    private record Opened(DeltaSource delta, List<String> warnings) {}

    private Result build(Path basePath, Path out, DType dtype, MergeProgress progress,
            Function<Checkpoint, Opened> open) {
        if (Files.exists(out)) {
            throw new FedmergeException("output " + out + " already exists; choose a new file name");
        }
        try (Checkpoint base = Checkpoint.open(basePath)) {
            Opened opened = open.apply(base);
            try (DeltaSource delta = opened.delta()) {
                List<String> warnings = new ArrayList<>(opened.warnings());
                String digest = CheckpointDigest.of(base);
                List<TensorSpec> specs = new ArrayList<>();
                for (String name : base.tensorNames()) {
                    specs.add(new TensorSpec(name, dtype, base.info(name).shape()));
                }
                Map<String, String> meta = metadata(digest, dtype, warnings);
                Path partial = out.resolveSibling("." + out.getFileName() + ".partial");
                Files.deleteIfExists(partial);
                try {
                    long bytes = write(base, delta, specs, partial, meta, progress);
                    Files.move(partial, out, StandardCopyOption.ATOMIC_MOVE);
                    return new Result(out, digest, specs.size(), bytes, warnings);
                } catch (RuntimeException e) {
                    FileTrees.deleteRecursively(partial);
                    throw e;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out, e);
        }
    }

    static Map<String, String> metadata(String digest, DType dtype, List<String> warnings) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put(TaskVectorFormat.FORMAT, TaskVectorFormat.FORMAT_VALUE);
        meta.put(TaskVectorFormat.VERSION, "1");
        meta.put(TaskVectorFormat.BASE_DIGEST, digest);
        meta.put(TaskVectorFormat.METHOD, "dense");
        meta.put(TaskVectorFormat.STORED_DTYPE, dtype.name());
        meta.put(TaskVectorFormat.PRODUCER, TaskVectorFormat.PRODUCER_VALUE);
        if (!warnings.isEmpty()) {
            meta.put(TaskVectorFormat.TRUNCATED, String.join("; ", warnings));
        }
        return meta;
    }

    private static long write(Checkpoint base, DeltaSource delta, List<TensorSpec> specs, Path file,
            Map<String, String> meta, MergeProgress progress) {
        long total = specs.stream().mapToLong(TensorSpec::byteLength).sum();
        progress.started(specs.size(), total);
        float[] b = new float[SLICE];
        float[] d = new float[SLICE];
        long done = 0;
        try (SafetensorsWriter writer = new SafetensorsWriter(file, specs, meta)) {
            for (int t = 0; t < specs.size(); t++) {
                String name = specs.get(t).name();
                long n = base.info(name).elementCount();
                for (long first = 0; first < n; first += SLICE) {
                    int len = (int) Math.min(SLICE, n - first);
                    base.readFloats(name, first, len, b);
                    NonFiniteValueException.requireFinite(b, len, "base model " + base.location(), name, first);
                    try (Arena arena = Arena.ofConfined()) {
                        delta.map(name, first, len, arena).read(0, len, b, d);
                    }
                    NonFiniteValueException.requireFinite(d, len, delta.id(), name, first);
                    writer.write(name, first, d, len);
                }
                done += specs.get(t).byteLength();
                progress.tensorDone(name, t + 1, done);
            }
            writer.sync();
        }
        return total;
    }
}
