package io.fedmerge.hub;

import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.taskvector.TaskVectorBuilder;
import io.fedmerge.core.tensor.DType;
import io.fedmerge.hub.model.BaseModelRegistry;
import io.fedmerge.hub.round.RoundRequest;
import io.fedmerge.hub.round.RoundService;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Generated models under a models root, and the round-level steps this module's tests repeat. */
public final class Federation {
    public final Path root;

    /** Generates base + {@code variants} fine-tunes of {@code shape} under {@code root}. */
    public Federation(Path root, ModelShape shape, int variants) {
        this.root = root;
        new CheckpointGenerator().generate(root, new CheckpointGenerator.Options(shape, variants, 7, DType.BF16,
                CheckpointWriter.DEFAULT_SHARD_BYTES, 0, 2), MergeProgress.NONE);
    }

    public String modelsRootArg() {
        return "--fedmerge.hub.models-root=" + root.toAbsolutePath();
    }

    /** The float32 task vector of fine-tune {@code variant} (1-based), built once. */
    public Path taskVector(int variant) {
        Path tv = root.resolve("tv-" + variant + ".safetensors");
        if (!tv.toFile().exists()) {
            new TaskVectorBuilder().build(root.resolve("base"), root.resolve("hospital-" + variant), tv, DType.F32,
                    MergeProgress.NONE);
        }
        return tv;
    }

    public static void registerBase(TestHub hub) {
        hub.bean(BaseModelRegistry.class).register("base", "base", "test");
    }

    /** Opens a task_arithmetic round on "base" that every node may join. */
    public static String openRound(TestHub hub) {
        return hub.bean(RoundService.class).create(new RoundRequest("base", "task_arithmetic", Map.of(),
                Map.of("weight", 1), List.of(), 1, null), "test").id();
    }
}
