package io.fedmerge.core.cli;

import io.fedmerge.core.adapter.AdapterConfig;
import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.adapter.LoraModule;
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
        description = "List the tensors (dtype, shape) and metadata of a checkpoint directory or safetensors file, and its digest; or a PEFT LoRA adapter's modules, ranks and scales.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR|FILE|ADAPTER")
    Path path;

    @Option(names = "--no-digest", description = "Skip the digest (it reads every byte).")
    boolean noDigest;

    @Option(names = "--json", description = "Print a machine-readable description on stdout.")
    boolean json;

    @Override
    public Integer call() {
        if (LoraAdapter.isAdapterDirectory(path)) {
            return inspectAdapter();
        }
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

    private int inspectAdapter() {
        try (LoraAdapter a = LoraAdapter.open(path)) {
            if (json) {
                System.out.println(Json.write(describe(a)));
                return 0;
            }
            AdapterConfig c = a.config();
            System.out.printf("%s: PEFT LoRA adapter, %d adapted modules, %d saved tensors, %.1f MB%n", path,
                    a.modules().size(), a.savedTensors().size(), a.totalBytes() / 1e6);
            if (!c.baseModelNameOrPath().isBlank()) {
                System.out.println("  trained on " + c.baseModelNameOrPath());
            }
            System.out.printf("  r %d, lora_alpha %s, use_rslora %s, fan_in_fan_out %s, target_modules %s%n", c.r(),
                    c.loraAlpha(), c.useRslora(), c.fanInFanOut(),
                    c.targetRegex() != null ? "'" + c.targetRegex() + "'" : c.targetModules());
            for (LoraModule m : a.modules().values()) {
                System.out.printf("  %-60s rank %-3d scale %-8.4g ΔW %s%s%n", m.module(), m.rank(), m.scale(),
                        java.util.Arrays.toString(m.deltaShape()), m.embedding() ? " (embedding)"
                                : m.transposed() ? " (fan_in_fan_out)" : "");
            }
            a.savedTensors().forEach((name, t) -> System.out.printf("  %-60s saved whole %s%n", name,
                    t.shapeString()));
            return 0;
        }
    }

    private static ObjectNode describe(LoraAdapter a) {
        AdapterConfig c = a.config();
        ObjectNode o = Json.object();
        o.put("path", a.directory().toString());
        o.put("kind", "lora_adapter");
        o.put("bytes", a.totalBytes());
        o.put("r", c.r());
        o.put("lora_alpha", c.loraAlpha());
        o.put("use_rslora", c.useRslora());
        o.put("fan_in_fan_out", c.fanInFanOut());
        o.put("base_model_name_or_path", c.baseModelNameOrPath());
        if (c.targetRegex() != null) {
            o.put("target_modules", c.targetRegex());
        } else {
            c.targetModules().forEach(o.putArray("target_modules")::add);
        }
        ArrayNode modules = o.putArray("modules");
        for (LoraModule m : a.modules().values()) {
            ObjectNode n = modules.addObject();
            n.put("module", m.module());
            n.put("rank", m.rank());
            n.put("scale", m.scale());
            n.put("transposed", m.transposed());
            n.put("embedding", m.embedding());
            shape(n.putArray("lora_A"), m.a().shape());
            shape(n.putArray("lora_B"), m.b().shape());
            shape(n.putArray("delta"), m.deltaShape());
        }
        ArrayNode saved = o.putArray("saved");
        a.savedTensors().forEach((name, t) -> shape(saved.addObject().put("tensor", name).putArray("shape"),
                t.shape()));
        return o;
    }

    private static void shape(ArrayNode into, long[] shape) {
        for (long d : shape) {
            into.add(d);
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
            shape(n.putArray("shape"), t.shape());
            n.put("file", c.fileOf(name).path().getFileName().toString());
        }
        return o;
    }
}
