package io.fedmerge.eval.model;

import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.TensorSpec;
import io.fedmerge.core.tensor.DType;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/**
 * A small Mistral-shaped model whose every part matters: weights of unit-variance outputs (N(0, 1/fan-in)), so
 * attention, RoPE, the MLP and the norms all move the log-probabilities by far more than the tolerance a test
 * allows (the generator's fine-tune-like weights are too small for that: the residual stream barely changes).
 */
public final class PeakyModel {
    static final ModelShape SHAPE = new ModelShape(32, 2, 4, 2, 64, 64);

    private PeakyModel() {}

    static Path write(Path dir, long seed) {
        return write(dir, seed, SHAPE);
    }

    public static Path write(Path dir, long seed, ModelShape shape) {
        Random r = new Random(seed);
        CheckpointWriter w = new CheckpointWriter(dir, shape.tensors(DType.F32, 0), CheckpointWriter.DEFAULT_SHARD_BYTES,
                Map.of("format", "pt"));
        for (TensorSpec t : shape.tensors(DType.F32, 0)) {
            float[] v = new float[(int) t.elementCount()];
            boolean norm = t.shape().length == 1;
            double scale = norm ? 0.2 : 1.5 / Math.sqrt(t.shape()[1]);
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((norm ? 1 : 0) + scale * r.nextGaussian());
            }
            w.write(t.name(), 0, v, v.length);
        }
        w.addFile("config.json", shape.configJson(DType.F32));
        w.commit();
        return dir;
    }
}
