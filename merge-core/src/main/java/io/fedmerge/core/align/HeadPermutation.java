package io.fedmerge.core.align;

/**
 * A move of attention heads that leaves the network's function unchanged: KV groups exchanged by σ and, inside each
 * group, its query heads by τ_g, inducing π(g·r + j) = σ(g)·r + τ_g(j) on query heads (MERGE_METHODS §5.8.3).
 * Aligned query head h is taken from the contributor's head π(h); aligned KV head g from its KV head σ(g).
 */
public record HeadPermutation(int[] queryHeads, int[] kvHeads, double identityCost, double optimalCost) {
    public HeadPermutation {
        queryHeads = queryHeads.clone();
        kvHeads = kvHeads.clone();
    }

    @Override
    public int[] queryHeads() {
        return queryHeads.clone();
    }

    @Override
    public int[] kvHeads() {
        return kvHeads.clone();
    }

    public boolean isIdentity() {
        for (int i = 0; i < queryHeads.length; i++) {
            if (queryHeads[i] != i) {
                return false;
            }
        }
        for (int i = 0; i < kvHeads.length; i++) {
            if (kvHeads[i] != i) {
                return false;
            }
        }
        return true;
    }

    public static HeadPermutation identity(int heads, int kvHeads, double cost) {
        int[] q = new int[heads];
        int[] kv = new int[kvHeads];
        for (int i = 0; i < heads; i++) {
            q[i] = i;
        }
        for (int i = 0; i < kvHeads; i++) {
            kv[i] = i;
        }
        return new HeadPermutation(q, kv, cost, cost);
    }
}
