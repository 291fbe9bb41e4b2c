package io.fedmerge.core.method;

import io.fedmerge.core.config.ConfigException;
import java.util.List;

/** mergekit's {@code passthrough}: the one listed model, copied, optionally multiplied by {@code scale}. */
public final class PassthroughMerge implements MergeMethod {
    private static final List<ParameterSpec> PARAMETERS = List.of(ParameterSpec.number("scale",
            ParameterSpec.Scope.PER_MODEL, 1.0, Double::isFinite, "a finite number"));

    @Override
    public String name() {
        return "passthrough";
    }

    @Override
    public List<ParameterSpec> parameters() {
        return PARAMETERS;
    }

    /** mergekit runs it without a base too: the weights are the models' own. */
    @Override
    public MergeMethod withoutBase() {
        return this;
    }

    @Override
    public void validate(TensorContext context) {
        if (context.contributors() != 1) {
            throw new ConfigException("passthrough copies exactly one model (other than the base), found "
                    + context.contributors());
        }
    }

    @Override
    public TensorMerge forTensor(TensorContext context) {
        float scale = (float) context.params().perModel("scale")[0];
        BlockMerger merger = (block, out) -> {
            float[] base = block.base();
            float[] d = block.deltas()[0];
            for (int j = 0; j < block.length(); j++) {
                out[j] = scale * (base[j] + d[j]);
            }
        };
        return slice -> merger;
    }
}
