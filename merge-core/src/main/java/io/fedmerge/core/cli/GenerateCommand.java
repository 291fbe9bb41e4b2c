package io.fedmerge.core.cli;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.generate.AdapterGenerator;
import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.generate.SkillsExtension;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.tensor.DType;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Write a synthetic Mistral-shaped base checkpoint and K hospital fine-tunes (OUT/base, OUT/hospital-1..K).")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Directory to create base/ and hospital-N/ in.")
    Path out;

    @Option(names = "--preset", defaultValue = "tiny",
            description = "tiny (< 1 MB, tests), small (~70 MB), mistral-7b (real 7B shapes; benchmarks).")
    String preset;

    @Option(names = "--variants", defaultValue = "3", description = "Number of hospital fine-tunes.")
    int variants;

    @Option(names = "--seed", defaultValue = "42", description = "Seed; the same seed gives the same bytes.")
    long seed;

    @Option(names = "--dtype", defaultValue = "bf16", description = "bf16 (default), f16 or f32.")
    String dtype;

    @Option(names = "--layers", description = "Override the preset's number of layers.")
    Integer layers;

    @Option(names = "--size-gb", description = "Choose the number of layers so each model is at least this big.")
    Double sizeGb;

    @Option(names = "--shard-size", converter = ByteSize.class, paramLabel = "SIZE",
            description = "Largest shard (default 5GB).")
    long shardSize = CheckpointWriter.DEFAULT_SHARD_BYTES;

    @Option(names = "--extra-vocab", defaultValue = "0",
            description = "Extra vocabulary rows in the fine-tunes' embeddings (as fine-tunes that add tokens have).")
    int extraVocab;

    @Option(names = "--adapter-rank", paramLabel = "R",
            description = "Also write K PEFT LoRA adapters of rank R on the 7 projections (OUT/adapter-1..K).")
    Integer adapterRank;

    @Option(names = "--adapter-alpha", paramLabel = "ALPHA",
            description = "lora_alpha of the generated adapters (default: 2 x rank, a common choice).")
    Double adapterAlpha;

    @Option(names = "--delta-scale", defaultValue = "0.1", description = "How far the fine-tunes move from the base,"
            + " relative to its weights (default ${DEFAULT-VALUE}; real fine-tunes move less, e.g. 0.01).")
    double deltaScale;

    @Option(names = "--vocab", description = "Override the preset's vocabulary size.")
    Integer vocab;

    @Option(names = "--skills", description = "Also write a tokenizer.json, and per fine-tune a private MCQ set"
            + " (OUT/eval/hospital-N.jsonl, MedQA layout) whose answers that fine-tune knows and the base does not"
            + " (docs/EVALUATION.md). Needs a hidden size of a few hundred (--preset small).")
    boolean skills;

    @Option(names = "--skill-questions", defaultValue = "0",
            description = "Questions per hospital with --skills (default: as many as the hidden size allows, at most 40).")
    int skillQuestions;

    @Option(names = "--threads", description = "Worker threads (default: number of cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--json", description = "Print a machine-readable summary on stdout.")
    boolean json;

    @Override
    public Integer call() {
        DType d = DType.fromUserName(dtype);
        ModelShape shape = ModelShape.preset(preset);
        if (layers != null) {
            shape = shape.withLayers(layers);
        }
        if (sizeGb != null) {
            shape = shape.withSize(sizeGb, d);
        }
        if (vocab != null) {
            shape = shape.withVocab(vocab);
        }
        SkillsExtension planter = skills ? ServiceLoader.load(SkillsExtension.class).findFirst().orElseThrow(
                () -> new FedmergeException("--skills needs fedmerge's eval module on the class path (run ./fedmerge)"))
                : null;
        if (planter != null) {
            planter.check(shape, variants, seed, skillQuestions);
        }
        CheckpointGenerator.Generated g = new CheckpointGenerator().generate(out,
                new CheckpointGenerator.Options(shape, variants, seed, d, shardSize, extraVocab, threads, deltaScale),
                new ProgressBar(System.err, "generate", json));
        List<Path> adapters = adapterRank == null ? List.of() : new AdapterGenerator().generate(g.base(), out,
                new AdapterGenerator.Options(adapterRank, adapterAlpha == null ? 2.0 * adapterRank : adapterAlpha,
                        AdapterGenerator.MISTRAL_TARGETS, variants, seed, d));
        List<Path> sets = planter == null ? List.of()
                : planter.plant(g, out, shape, seed, skillQuestions, System.err);
        if (json) {
            ObjectNode o = Json.object();
            sets.forEach(e -> o.withArray("eval_sets").add(e.toString()));
            o.put("base", g.base().toString());
            adapters.forEach(a -> o.withArray("adapters").add(a.toString()));
            g.variants().forEach(v -> o.withArray("variants").add(v.toString()));
            o.put("layers", shape.layers());
            o.put("bytes_per_model", g.bytesPerModel());
            System.out.println(Json.write(o));
        } else {
            System.out.printf("wrote %s and %d fine-tunes (%d layers, %.1f MB each) under %s%n", g.base().getFileName(),
                    g.variants().size(), shape.layers(), g.bytesPerModel() / 1e6, out);
            if (!sets.isEmpty()) {
                System.out.printf("wrote tokenizer.json and %d private question sets under %s%n", sets.size(),
                        out.resolve("eval"));
            }
            if (!adapters.isEmpty()) {
                System.out.printf("wrote %d rank-%d LoRA adapters (adapter-1..%d)%n", adapters.size(), adapterRank,
                        adapters.size());
            }
        }
        return 0;
    }
}
