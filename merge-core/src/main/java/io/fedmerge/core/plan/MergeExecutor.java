package io.fedmerge.core.plan;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.io.TensorSpec;
import io.fedmerge.core.method.TensorContext;
import io.fedmerge.core.method.TensorMerge;
import io.fedmerge.core.method.TensorMerges;
import io.fedmerge.core.method.TensorParameters;
import io.fedmerge.core.method.UnitReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Streams a {@link MergePlan} into a checkpoint directory: tensor after tensor in base file order, each cut into
 * slices that a bounded pool of workers reads, merges and writes at their final offsets. Peak memory is about
 * threads × (contributors + 2) × slice × 4 bytes plus per-tensor statistics — independent of model size.
 * Any failure (bad value, full disk, interruption) deletes the staging directory: nothing is published.
 */
public final class MergeExecutor {
    private final int threads;
    private final long shardBytes;
    private final int sliceElements;
    private final OutputFiles files;

    public MergeExecutor(int threads, long shardBytes, int sliceElements) {
        this(threads, shardBytes, sliceElements, OutputFiles.DEFAULT);
    }

    public MergeExecutor(int threads, long shardBytes, int sliceElements, OutputFiles files) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, found " + threads);
        }
        this.threads = threads;
        this.shardBytes = shardBytes;
        this.sliceElements = sliceElements;
        this.files = files;
    }

    public MergeExecutor(int threads) {
        this(threads, CheckpointWriter.DEFAULT_SHARD_BYTES, TensorMergeRunner.DEFAULT_SLICE_ELEMENTS);
    }

    public MergeResult execute(MergePlan plan, Path output, MergeProgress progress) {
        return execute(List.of(plan), null, output, progress);
    }

    /**
     * Merges the parts of a layer-range merge ({@link SlicePlans}) in order into one checkpoint.
     *
     * @param configJson the output's config.json, or null to copy the first part's layout model's
     */
    public MergeResult execute(List<MergePlan> parts, String configJson, Path output, MergeProgress progress) {
        long start = System.nanoTime();
        MergePlan first = parts.getFirst();
        List<String> warnings = Collections.synchronizedList(new ArrayList<>());
        parts.forEach(p -> warnings.addAll(p.warnings()));
        List<TensorSpec> outputs = parts.stream().flatMap(p -> p.outputs().stream()).toList();
        List<String> inputs = parts.stream().flatMap(p -> p.contributorIds().stream()).distinct().toList();
        CheckpointWriter writer = new CheckpointWriter(output, outputs, shardBytes, provenance(first, inputs));
        ExecutorService pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "fedmerge-worker");
            t.setDaemon(true);
            return t;
        });
        InputReadAhead readAhead = InputReadAhead.forInputs(parts.stream()
                .flatMap(p -> p.outputs().stream().map(spec -> p.inputRanges(spec.name()))).toList());
        try {
            TensorMergeRunner runner = new TensorMergeRunner(pool, sliceElements);
            List<UnitReport> reports = Collections.synchronizedList(new ArrayList<>());
            progress.started(outputs.size(), writer.totalBytes());
            long bytesDone = 0;
            int done = 0;
            for (MergePlan plan : parts) {
                PlanModelView view = new PlanModelView(plan, runner, warnings::add, reports::add);
                TensorMerges merges = plan.method().prepare(view);
                List<DeltaSource> sources = view.sources();
                for (TensorSpec spec : plan.outputs()) {
                    readAhead.starting(done);
                    mergeTensor(plan, spec, runner, writer, sources, merges, warnings, reports);
                    readAhead.merged(done);
                    bytesDone += spec.byteLength();
                    progress.tensorDone(spec.name(), ++done, bytesDone);
                }
            }
            if (files.modelCard()) {
                writer.addFile(ModelCard.FILE, ModelCard.of(first.config(), first.method().name(), inputs)
                        + files.cardSection());
            }
            String config = OutputConfigJson.withDtype(configJson != null ? configJson : first.base().configJson(),
                    first.base().directory().resolve(Checkpoint.CONFIG_FILE), first.config().declaredOutputDtype());
            if (config != null) {
                writer.addFile(Checkpoint.CONFIG_FILE, config);
            }
            // the layout model's README describes that model, not this merge
            writer.carryFilesFrom(first.base().directory(), n -> n.equals(ModelCard.FILE)
                    || !files.tokenizer() && OutputFiles.isTokenizerFile(n));
            writer.addFile("mergekit_config.yml", first.config().source());
            Path published = writer.commit();
            double seconds = (System.nanoTime() - start) / 1e9;
            return new MergeResult(published, first.method().name(), outputs.size(), writer.shardCount(),
                    inputs.size(), writer.totalBytes(), seconds, threads, warnings, reports);
        } catch (RuntimeException | Error e) {
            writer.abort();
            throw e;
        } finally {
            readAhead.close();
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }

    private static void mergeTensor(MergePlan plan, TensorSpec spec, TensorMergeRunner runner,
            CheckpointWriter writer, List<DeltaSource> sources, TensorMerges merges, List<String> warnings,
            List<UnitReport> reports) {
        String name = spec.name();
        TensorInfo baseInfo = plan.base().info(name);
        TensorParameters params = plan.parameters().resolve(name, plan.layers().t(name));
        long seed = params.seed(plan.seed());
        TensorContext ctx = new TensorContext(name, baseInfo.shape(), plan.contributorIds(), params, seed,
                warnings::add, plan.attention(), reports::add);
        TensorMerge merge = merges.forTensor(ctx);
        runner.run(merge, baseInfo.elementCount(), baseInfo.rowLength(), sources.size(),
                SliceReaders.of(plan.base(), plan.layoutName(), name, sources),
                (first, values, length) -> writer.write(name, first, values, length));
    }

    private static Map<String, String> provenance(MergePlan plan, List<String> inputs) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("fedmerge.merge_method", plan.method().name());
        meta.put("fedmerge.contributors", String.valueOf(inputs.size()));
        meta.put("fedmerge.producer", "fedmerge/0.1.0");
        return meta;
    }
}
