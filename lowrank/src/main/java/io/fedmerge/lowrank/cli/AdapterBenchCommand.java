package io.fedmerge.lowrank.cli;

import io.fedmerge.core.cli.Json;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.lowrank.bench.AdapterBenchmark;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "adapters", mixinStandardHelpOptions = true,
        description = "Bytes on the wire per contribution (float32 task vector, XOR-coded, adapter), merge time with"
                + " adapter inputs against their materialised fine-tunes, and merged-adapter truncation time.")
public final class AdapterBenchCommand implements Callable<Integer> {
    @Option(names = "--layers", defaultValue = "2", description = "Layers of the Mistral-7B-shaped models (default 2).")
    int layers;

    @Option(names = "--rank", defaultValue = "16", description = "Adapter rank (default 16).")
    int rank;

    @Option(names = "--variants", defaultValue = "3", description = "Hospitals (default 3).")
    int variants;

    @Option(names = "--threads", description = "Worker threads (default: number of cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--work", defaultValue = "bench-adapters", description = "Working directory (replaced).")
    Path work;

    @Option(names = "--json", description = "Print the report as JSON on stdout.")
    boolean json;

    @Override
    public Integer call() {
        AdapterBenchmark.Report r = new AdapterBenchmark().run(new AdapterBenchmark.Options(
                ModelShape.preset("mistral-7b").withLayers(layers), variants, rank, threads, work), System.err);
        if (json) {
            ObjectNode o = Json.object();
            o.put("layers", r.layers());
            o.put("fine_tune_bytes", r.fineTuneBytes());
            r.wire().forEach(w -> o.withArray("wire").addObject().put("what", w.what()).put("bytes", w.bytes())
                    .put("ratio_to_fine_tune", w.ratioToFineTune()));
            o.put("adapter_merge_seconds", r.adapterMergeSeconds());
            o.put("dense_merge_seconds", r.denseMergeSeconds());
            o.put("truncate_ms", r.truncateMillis());
            System.out.println(Json.write(o));
        }
        return 0;
    }
}
