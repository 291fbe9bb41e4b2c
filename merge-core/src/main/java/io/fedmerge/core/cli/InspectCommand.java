package io.fedmerge.core.cli;

import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointDigest;
import io.fedmerge.core.io.TensorInfo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "List the tensors (dtype, shape) and metadata of a checkpoint directory or safetensors file, and its digest.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR|FILE")
    Path path;

    @Option(names = "--no-digest", description = "Skip the digest (it reads every byte).")
    boolean noDigest;

    @Option(names = "--json", description = "Print a machine-readable description on stdout.")
    boolean json;

    @Override
    public Integer call() {
        try (Checkpoint c = Checkpoint.open(path)) {
            String digest = noDigest ? null : CheckpointDigest.of(c);
            if (json) {
                System.out.println(Json.write(describe(c, digest)));
                return 0;
            }
            System.out.printf("%s: %d tensors in %d file(s), %.1f MB%n", path, c.tensorNames().size(),
                    c.files().size(), c.totalBytes() / 1e6);
            c.metadata().forEach((k, v) -> System.out.printf("  metadata %s = %s%n", k, v));
            for (String name : c.tensorNames()) {
                TensorInfo t = c.info(name);
                System.out.printf("  %-60s %-5s %s%n", name, t.dtype(), t.shapeString());
            }
            if (digest != null) {
                System.out.println("digest " + digest);
            }
            return 0;
        }
    }

    private static ObjectNode describe(Checkpoint c, String digest) {
        ObjectNode o = Json.object();
        o.put("path", c.location().toString());
        o.put("files", c.files().size());
        o.put("bytes", c.totalBytes());
        if (digest != null) {
            o.put("digest", digest);
        }
        ObjectNode meta = o.putObject("metadata");
        c.metadata().forEach(meta::put);
        ArrayNode tensors = o.putArray("tensors");
        for (String name : c.tensorNames()) {
            TensorInfo t = c.info(name);
            ObjectNode n = tensors.addObject();
            n.put("name", name);
            n.put("dtype", t.dtype().name());
            ArrayNode shape = n.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            n.put("file", c.fileOf(name).path().getFileName().toString());
        }
        return o;
    }
}
