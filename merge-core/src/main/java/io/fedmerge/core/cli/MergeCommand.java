package io.fedmerge.core.cli;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.config.MergeConfig;
import io.fedmerge.core.config.MergeConfigParser;
import io.fedmerge.core.config.ParameterValue;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.method.MethodRegistry;
import io.fedmerge.core.plan.AdapterExport;
import io.fedmerge.core.plan.MergeExecutor;
import io.fedmerge.core.plan.MergePlan;
import io.fedmerge.core.plan.MergePlanner;
import io.fedmerge.core.plan.MergeResult;
import io.fedmerge.core.plan.OutputFiles;
import io.fedmerge.core.plan.SlicePlans;
import io.fedmerge.core.plan.TensorMergeRunner;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Merge models as a mergekit YAML config says, into a Hugging Face checkpoint directory.")
final class MergeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONFIG",
            description = "mergekit-style YAML (merge_method, base_model, models or slices, parameters).")
    Path config;

    @Parameters(index = "1", paramLabel = "OUT_DIR", description = "Output directory; must not exist or be empty.")
    Path out;

    @Option(names = "--threads", description = "Worker threads (default: number of cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--shard-size", converter = ByteSize.class, paramLabel = "SIZE",
            description = "Largest output shard, e.g. 5GB (default), 500MB.")
    Long shardSize;

    @Option(names = "--out-shard-size", converter = KmbCount.class, paramLabel = "N",
            description = "mergekit's spelling of --shard-size: bytes, with K, M or B for thousand, million, billion"
                    + " (e.g. 5B).")
    Long outShardSize;

    @Option(names = "--copy-tokenizer", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Copy the base's tokenizer files into the output (default; --no-copy-tokenizer leaves them"
                    + " out).")
    boolean copyTokenizer;

    @Option(names = "--write-model-card", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Write a README.md model card in mergekit's layout: method, inputs, config (default).")
    boolean writeModelCard;

    @Option(names = "--random-seed", paramLabel = "SEED", description = "Seed of the random methods (dare_*, della*)"
            + " when the config sets no random_seed.")
    Long randomSeed;

    @Option(names = {"--lazy-unpickle", "--allow-crimes", "--low-cpu-memory"}, hidden = true,
            description = "mergekit options that fedmerge accepts and does not need.")
    boolean[] mergekitNoOps = new boolean[0];

    @Option(names = "--slice-elements", hidden = true, description = "Elements per work slice (tuning/tests).")
    int sliceElements = TensorMergeRunner.DEFAULT_SLICE_ELEMENTS;

    @Option(names = "--json", description = "Print a machine-readable summary on stdout instead of progress.")
    boolean json;

    @Option(names = "--as-adapter", description = "Write a PEFT LoRA adapter directory (for the base) instead of a"
            + " checkpoint: exact for linear/task_arithmetic merges of adapters, else extracted by randomised SVD.")
    boolean asAdapter;

    @Option(names = "--rank", paramLabel = "R", description = "With --as-adapter: the largest rank per module"
            + " (default: exact, the sum of the adapters' ranks; needed when no input is an adapter).")
    Integer rank;

    @Override
    public Integer call() {
        if (rank != null && !asAdapter) {
            throw new FedmergeException("--rank applies to --as-adapter only; add --as-adapter or drop --rank");
        }
        if (rank != null && rank < 1) {
            throw new FedmergeException("--rank must be at least 1, found " + rank);
        }
        if (shardSize != null && outShardSize != null) {
            throw new FedmergeException("--shard-size and --out-shard-size set the same thing; give one");
        }
        if (mergekitNoOps.length > 0) {
            System.err.println("note: --lazy-unpickle, --allow-crimes and --low-cpu-memory change nothing here:"
                    + " fedmerge maps safetensors lazily and checks shapes always");
        }
        CheckpointWriter.checkTargetUsable(out.toAbsolutePath().normalize());
        MergePlanner planner = new MergePlanner(new MethodRegistry());
        MergeConfig parsed = withSeed(MergeConfigParser.parse(config));
        if (!parsed.slices().isEmpty()) {
            if (asAdapter) {
                throw new FedmergeException("--as-adapter takes a models: config; a slices: merge writes a checkpoint");
            }
            try (SlicePlans plans = SlicePlans.plan(planner, parsed)) {
                List<String> planned = plans.parts().stream().flatMap(p -> p.warnings().stream()).distinct().toList();
                planned.forEach(w -> System.err.println("warning: " + w));
                return report(executor().execute(plans.parts(), plans.configJson(), out, progress(parsed)),
                        planned);
            }
        }
        try (MergePlan plan = planner.plan(parsed)) {
            plan.warnings().forEach(w -> System.err.println("warning: " + w));
            if (asAdapter) {
                return exportAdapter(plan);
            }
            return report(executor().execute(plan, out, progress(parsed)), plan.warnings());
        }
    }

    private MergeExecutor executor() {
        long shard = shardSize != null ? shardSize
                : outShardSize != null ? outShardSize : CheckpointWriter.DEFAULT_SHARD_BYTES;
        return new MergeExecutor(threads, shard, sliceElements, new OutputFiles(copyTokenizer, writeModelCard));
    }

    private ProgressBar progress(MergeConfig c) {
        return new ProgressBar(System.err, "merge " + c.mergeMethod(), json);
    }

    /** Prints what the merge found beyond the plan's own warnings (already printed), then the summary. */
    private int report(MergeResult r, List<String> planned) {
        r.warnings().stream().filter(w -> !planned.contains(w)).distinct()
                .forEach(w -> System.err.println("warning: " + w));
        if (!json && !r.units().isEmpty()) {
            UnitTable.print(r.units(), System.out);
        }
        System.out.println(json ? summary(r) : "merged %d tensors from %d models with %s into %s (%d shard%s,"
                .formatted(r.tensors(), r.contributors(), r.method(), r.output(), r.shards(),
                        r.shards() == 1 ? "" : "s")
                + " %.1f MB, %.1f s, %.0f MB/s written)".formatted(r.bytesWritten() / 1e6, r.seconds(),
                        r.bytesWritten() / 1e6 / Math.max(1e-9, r.seconds())));
        return 0;
    }

    /** --random-seed fills in the config's random_seed; a config that sets another one is a contradiction. */
    private MergeConfig withSeed(MergeConfig c) {
        if (randomSeed == null) {
            return c;
        }
        ParameterValue set = c.parameters().get("random_seed");
        if (set != null && !(set instanceof ParameterValue.Scalar s && s.value() instanceof Double d
                && d == randomSeed.doubleValue())) {
            throw new FedmergeException("--random-seed " + randomSeed + " contradicts the config's random_seed; drop"
                    + " one of them");
        }
        Map<String, ParameterValue> params = new LinkedHashMap<>(c.parameters());
        params.put("random_seed", new ParameterValue.Scalar(randomSeed.doubleValue()));
        // the shipped mergekit_config.yml says so, or a re-run of it would draw other random masks
        String source = c.source().stripTrailing() + "\n# merged with: fedmerge merge --random-seed " + randomSeed
                + "\n";
        return new MergeConfig(c.mergeMethod(), c.baseModel(), c.models(), params, c.dtype(), c.outDtype(),
                c.directory(), source, c.slices());
    }

    private int exportAdapter(MergePlan plan) {
        AdapterExport.Result r = AdapterExport.find().export(new AdapterExport.Request(plan, out, rank, threads,
                sliceElements, new ProgressBar(System.err, "merge " + plan.method().name() + " as adapter", json)));
        r.warnings().stream().skip(plan.warnings().size()).distinct()
                .forEach(w -> System.err.println("warning: " + w));
        if (json) {
            ObjectNode o = Json.object();
            o.put("output", r.output().toString());
            o.put("method", plan.method().name());
            o.put("artifact", "adapter");
            o.put("how", r.how());
            o.put("rank", r.rank());
            o.put("bytes_written", r.bytes());
            o.put("seconds", r.seconds());
            o.put("worst_relative_error", r.worstRelativeError());
            for (AdapterExport.ModuleFit m : r.modules()) {
                o.withArray("modules").addObject().put("module", m.module()).put("rank", m.rank())
                        .put("relative_error", m.relativeError());
            }
            r.warnings().forEach(o.putArray("warnings")::add);
            System.out.println(Json.write(o));
            return 0;
        }
        System.out.printf("wrote a rank-%d PEFT adapter (%s) of %d modules merged with %s into %s (%.1f MB, %.1f s);"
                + " worst relative error %.3g%n", r.rank(), r.how(), r.modules().size(), plan.method().name(),
                r.output(), r.bytes() / 1e6, r.seconds(), r.worstRelativeError());
        return 0;
    }

    private static String summary(MergeResult r) {
        ObjectNode o = Json.object();
        o.put("output", r.output().toString());
        o.put("method", r.method());
        o.put("tensors", r.tensors());
        o.put("contributors", r.contributors());
        o.put("shards", r.shards());
        o.put("bytes_written", r.bytesWritten());
        o.put("seconds", r.seconds());
        o.put("threads", r.threads());
        r.warnings().forEach(o.putArray("warnings")::add);
        for (var u : r.units()) {
            ObjectNode n = o.withArray("units").addObject();
            n.put("unit", u.unit());
            n.put("cosine", u.cosine());
            n.put("weight", u.weight());
            u.permuted().forEach(n.putArray("permuted")::add);
        }
        return Json.write(o);
    }
}
