package io.fedmerge.core.method;

/**
 * How the tensors of one merge are merged once the method's whole-model preparation is done; what the preparation
 * found stays inside (typed), so neither the executor nor the tensor's context carries it.
 */
@FunctionalInterface
public interface TensorMerges {
    TensorMerge forTensor(TensorContext context);
}
