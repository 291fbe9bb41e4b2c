package io.fedmerge.core.method;

/**
 * A head move applied to one tensor of one contributor before merging: block b of the aligned tensor (a block is
 * {@code blockSize} rows, or columns when {@code columns}) is taken from block {@code blocks[b]} of the contributor's
 * full weights.
 */
public record TensorPermutation(boolean columns, int blockSize, int[] blocks) {
    public TensorPermutation {
        blocks = blocks.clone();
    }

    @Override
    public int[] blocks() {
        return blocks.clone();
    }

    /** The source index along the permuted axis for aligned index {@code i}. */
    public int source(int i) {
        return blocks[i / blockSize] * blockSize + i % blockSize;
    }
}
