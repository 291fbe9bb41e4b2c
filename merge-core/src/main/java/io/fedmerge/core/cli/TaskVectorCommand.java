package io.fedmerge.core.cli;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.taskvector.TaskVectorBuilder;
import io.fedmerge.core.tensor.DType;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "task-vector", mixinStandardHelpOptions = true,
        description = "Compute the task vector (fine-tuned minus base, or an adapter's s·B·A) into one safetensors file.")
final class TaskVectorCommand implements Callable<Integer> {
    @Option(names = "--base", required = true, description = "Base checkpoint directory.")
    Path base;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--finetuned", required = true, description = "Fine-tuned checkpoint directory.")
        Path finetuned;

        @Option(names = "--adapter", required = true,
                description = "PEFT LoRA adapter directory (adapter_config.json + adapter_model.safetensors).")
        Path adapter;
    }

    @Option(names = "--out", required = true, description = "Output .safetensors file (must not exist).")
    Path out;

    @Option(names = "--dtype", defaultValue = "f32",
            description = "Stored dtype: f32 (exact, default) or bf16 (half the size, ~0.4%% rounding per element).")
    String dtype;

    @Option(names = "--json", description = "Print a machine-readable summary on stdout.")
    boolean json;

    @Override
    public Integer call() {
        DType d = DType.fromUserName(dtype);
        if (d == DType.F16) {
            throw new FedmergeException("--dtype must be f32 or bf16; f16 overflows for large deltas");
        }
        ProgressBar progress = new ProgressBar(System.err, "task-vector", json);
        TaskVectorBuilder.Result r = source.adapter != null
                ? new TaskVectorBuilder().buildFromAdapter(base, source.adapter, out, d, progress)
                : new TaskVectorBuilder().build(base, source.finetuned, out, d, progress);
        r.warnings().forEach(w -> System.err.println("warning: " + w));
        if (json) {
            ObjectNode o = Json.object();
            o.put("file", r.file().toString());
            o.put("base_digest", r.baseDigest());
            o.put("tensors", r.tensors());
            o.put("bytes", r.bytes());
            o.put("dtype", d.name());
            r.warnings().forEach(o.putArray("warnings")::add);
            System.out.println(Json.write(o));
        } else {
            System.out.printf("wrote %s: %d tensors, %.1f MB, base digest %s%n", r.file(), r.tensors(),
                    r.bytes() / 1e6, r.baseDigest());
        }
        return 0;
    }
}
