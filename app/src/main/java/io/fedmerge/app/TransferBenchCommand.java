package io.fedmerge.app;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "transfer", mixinStandardHelpOptions = true,
        description = "Upload/download throughput over loopback gRPC vs a raw socket copy, and hub peak RSS with"
                + " three concurrent uploads (figures for docs/BENCHMARKS.md).")
final class TransferBenchCommand implements Callable<Integer> {
    @Option(names = "--layers", defaultValue = "2",
            description = "Mistral-7B layers of the generated model (2 gives a 2.8 GB float32 task vector).")
    int layers;

    @Option(names = "--hub-heap", defaultValue = "512m", description = "The hub process's -Xmx.")
    String heap;

    @Option(names = "--work", defaultValue = "bench-out/transfer", description = "Working directory.")
    Path work;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Option(names = "--hub-arg", description = "Extra hub setting, repeatable, e.g."
            + " --hub-arg=--fedmerge.hub.storage.type=s3 to measure the S3 blob store.")
    java.util.List<String> hubArgs = new java.util.ArrayList<>();

    @Override
    public Integer call() throws Exception {
        TransferBenchmark.Report r = new TransferBenchmark().run(work, layers, heap, hubArgs, System.err);
        if (json) {
            ObjectNode o = JsonMapper.builder().build().valueToTree(r);
            o.put("upload_ratio", r.uploadRatio());
            o.put("download_ratio", r.downloadRatio());
            System.out.println(o.toPrettyString());
        } else {
            System.out.printf("task vector %.0f MB: upload %.2f s (%.0f MB/s), raw socket %.2f s, ratio %.2f%n",
                    r.taskVectorBytes() / 1e6, r.uploadSeconds(), r.taskVectorBytes() / 1e6 / r.uploadSeconds(),
                    r.rawUploadSeconds(), r.uploadRatio());
            System.out.printf("model %.0f MB: download %.2f s (%.0f MB/s), raw socket %.2f s, ratio %.2f%n",
                    r.artifactBytes() / 1e6, r.downloadSeconds(), r.artifactBytes() / 1e6 / r.downloadSeconds(),
                    r.rawDownloadSeconds(), r.downloadRatio());
            System.out.printf("3 concurrent uploads: %.2f s; hub peak RSS %d MB (-Xmx%s)%n", r.concurrentSeconds(),
                    r.hubPeakRssBytes() >> 20, r.hubHeap());
        }
        return 0;
    }
}
