package io.fedmerge.core.method;

import io.fedmerge.core.tensor.CounterRng;
import java.util.ArrayList;
import java.util.List;

/**
 * Which elements of each contributor's delta survive the sparsification of a generalized task arithmetic merge
 * (MERGE_METHODS §2): random keeps (DARE, DELLA) are known at once; the magnitude ones (TIES' top-k, Breadcrumbs'
 * outlier cut) first need exact thresholds over the whole tensor, which it finds in its own statistics passes.
 */
final class DeltaSparsifier {
    private final Sparsifier kind;
    private final TensorContext ctx;
    private final long n;
    private final double[] density;
    private final double[] gamma;
    private final Selection[] selections;
    private final RankPasses ranks;

    DeltaSparsifier(Sparsifier kind, TensorContext ctx, boolean divideByProbability) {
        this.kind = kind;
        this.ctx = ctx;
        this.n = ctx.elementCount();
        int k = ctx.contributors();
        TensorParameters p = ctx.params();
        this.density = p.perModel("density");
        this.gamma = kind == Sparsifier.MAGNITUDE_OUTLIERS ? p.perModel("gamma") : new double[k];
        double[] epsilon = kind == Sparsifier.DELLA_MAGPRUNE ? p.perModel("epsilon") : new double[k];
        this.selections = new Selection[k];
        boolean[] ranked = new boolean[k];
        long[][] wanted = new long[k][];
        for (int i = 0; i < k; i++) {
            if (!sparsifies(i)) {
                selections[i] = new Selection.KeepAll();
                continue;
            }
            switch (kind) {
                case RANDOM -> selections[i] = new Selection.RandomKeep(rng(i), density[i]);
                case DELLA_MAGPRUNE -> selections[i] = new Selection.DellaKeep(rng(i), density[i], epsilon[i],
                        rowLength(), divideByProbability);
                case MAGNITUDE -> wanted[i] = topKRanks(i);
                case MAGNITUDE_OUTLIERS -> wanted[i] = outlierRanks(i);
                case NONE -> throw new IllegalStateException("nothing to sparsify");
            }
            ranked[i] = wanted[i] != null;
        }
        this.ranks = new RankPasses(n, ranked, (block, i, scratch) -> block.deltas()[i], (i, zeros) -> wanted[i],
                false);
    }

    /** Whether contributor i's delta loses any element (density 1 keeps everything whatever the method). */
    boolean sparsifies(int i) {
        return kind != Sparsifier.NONE && density[i] < 1;
    }

    /** The next statistics pass the magnitude thresholds need, or null when every selection is known. */
    StatsPass<?> nextPass() {
        StatsPass<?> pass = ranks.nextPass();
        if (pass == null) {
            completeRanked();
        }
        return pass;
    }

    /** Contributor i's selection; valid once {@link #nextPass} has returned null. */
    Selection selection(int i) {
        return selections[i];
    }

    /**
     * Makes each costly selection (DELLA's per-row ranking) remember its decisions, for a caller about to apply every
     * selection twice (an L1-norm pass, then the merge): the second application replays them instead of ranking again.
     */
    void rememberCostlyDecisions() {
        for (int i = 0; i < selections.length; i++) {
            if (selections[i] instanceof Selection.DellaKeep della && !della.divideByProbability()) {
                selections[i] = new Selection.Remembered(della);
            }
        }
    }

    private void completeRanked() {
        for (int i = 0; i < selections.length; i++) {
            if (selections[i] == null) {
                selections[i] = kind == Sparsifier.MAGNITUDE ? topK(i) : outliers(i);
            }
        }
    }

    private CounterRng rng(int i) {
        return CounterRng.forTensor(ctx.seed(), ctx.tensorName(), ctx.contributorIds().get(i));
    }

    private int rowLength() {
        long[] shape = ctx.shape();
        long rows = shape.length <= 1 ? 1 : shape[0];
        return (int) (n / Math.max(1, rows));
    }

    /** The rank of the smallest kept magnitude, or null with the selection set when no ranking is needed. */
    private long[] topKRanks(int i) {
        long keep = (long) Math.floor(density[i] * n);
        if (keep == 0) {
            ctx.warnings().accept(ctx.tensorName() + ": density " + density[i] + " keeps no element of "
                    + n + " for " + ctx.contributorIds().get(i) + "; its delta is dropped for this tensor");
            selections[i] = new Selection.KeepNone();
            return null;
        }
        if (keep >= n) {
            selections[i] = new Selection.KeepAll();
            return null;
        }
        return new long[] {n - keep};
    }

    private Selection topK(int i) {
        MagnitudeRanks.Threshold t = ranks.threshold(i, 0);
        long keep = (long) Math.floor(density[i] * n);
        long above = n - t.below() - t.equal();
        return new Selection.TopK(t, keep - above);
    }

    /** Breadcrumbs' cut: how many of the smallest and of the largest magnitudes are dropped (§3.1). */
    private record Cut(long bottom, long top) {}

    private Cut cut(int i) {
        long target = (long) Math.floor(density[i] * n);
        long top = (long) Math.floor(gamma[i] * n);
        long bottom = n - target - top;
        return bottom < 0 ? new Cut(0, top + bottom) : new Cut(bottom, top); // never keep fewer than target
    }

    /** The ranks of the smallest kept and the largest kept magnitude, or null when no ranking is needed. */
    private long[] outlierRanks(int i) {
        Cut c = cut(i);
        if (c.bottom() == 0 && c.top() == 0) {
            selections[i] = new Selection.KeepAll();
            return null;
        }
        if (c.bottom() + c.top() >= n) {
            selections[i] = new Selection.KeepNone();
            return null;
        }
        List<Long> wanted = new ArrayList<>();
        if (c.bottom() > 0) {
            wanted.add(c.bottom());
        }
        if (c.top() > 0) {
            wanted.add(n - c.top() - 1);
        }
        return wanted.stream().mapToLong(Long::longValue).toArray();
    }

    private Selection outliers(int i) {
        Cut c = cut(i);
        MagnitudeRanks.Threshold lower = c.bottom() > 0 ? ranks.threshold(i, 0) : null;
        MagnitudeRanks.Threshold upper = c.top() > 0 ? ranks.threshold(i, c.bottom() > 0 ? 1 : 0) : null;
        return new Selection.Outliers(lower, c.bottom(), upper, n - c.top());
    }
}
