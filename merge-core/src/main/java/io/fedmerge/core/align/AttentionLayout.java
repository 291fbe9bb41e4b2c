package io.fedmerge.core.align;

/**
 * Head geometry of a grouped-query attention model, from its config.json: H query heads, H_kv key/value heads of
 * d_h dimensions each; query head h reads KV head ⌊h / r⌋ with r = H / H_kv.
 */
public record AttentionLayout(int hidden, int heads, int kvHeads, int headDim) {
    public int groupSize() {
        return heads / kvHeads;
    }
}
