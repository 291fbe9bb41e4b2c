package io.fedmerge.core.align;

/**
 * GQA-aware attention-head alignment of one layer of one contributor to the base (MERGE_METHODS §5.8.3): squared
 * Frobenius costs between head blocks (q row blocks with o column blocks; k with v row blocks), an exact r×r
 * assignment inside every pair of KV groups, an exact H_kv×H_kv assignment of the groups, and the identity guard.
 * Costs use ‖x − y‖² = ‖x‖² + ‖y‖² − 2⟨x, y⟩ accumulated in float64, so every tensor is read once, row by row.
 */
public final class HeadAligner {
    private final AttentionLayout layout;

    public HeadAligner(AttentionLayout layout) {
        this.layout = layout;
    }

    /** The two cost matrices: C_qo (H×H) and C_kv (H_kv×H_kv); entry [a][b] compares base head a with head b. */
    public record Costs(double[][] qo, double[][] kv) {}

    /** Weights of one layer; biases may be null. Base and contributor are full weights (θ₀ and θ₀ + Δ). */
    public record Layer(RowMatrix q, RowMatrix k, RowMatrix v, RowMatrix o, RowMatrix qBias, RowMatrix kBias,
            RowMatrix vBias) {}

    public Costs costs(Layer base, Layer other) {
        int h = layout.heads();
        int hkv = layout.kvHeads();
        double[][] qo = new double[h][h];
        rowBlockCosts(base.q(), other.q(), h, qo);
        columnBlockCosts(base.o(), other.o(), h, qo);
        double[][] kv = new double[hkv][hkv];
        rowBlockCosts(base.k(), other.k(), hkv, kv);
        rowBlockCosts(base.v(), other.v(), hkv, kv);
        if (base.qBias() != null && other.qBias() != null) {
            columnBlockCosts(base.qBias(), other.qBias(), h, qo);
        }
        if (base.kBias() != null && other.kBias() != null) {
            columnBlockCosts(base.kBias(), other.kBias(), hkv, kv);
        }
        if (base.vBias() != null && other.vBias() != null) {
            columnBlockCosts(base.vBias(), other.vBias(), hkv, kv);
        }
        return new Costs(qo, kv);
    }

    /** Adds ‖X[a] − Y[b]‖² for row blocks of d_h rows: block a is rows a·d_h … (a+1)·d_h − 1. */
    private void rowBlockCosts(RowMatrix x, RowMatrix y, int blocks, double[][] cost) {
        int dh = layout.headDim();
        int cols = x.cols();
        float[][] xs = new float[blocks][cols];
        float[][] ys = new float[blocks][cols];
        double[] nx = new double[blocks];
        double[] ny = new double[blocks];
        double[][] dot = new double[blocks][blocks];
        for (int t = 0; t < dh; t++) {
            for (int a = 0; a < blocks; a++) {
                x.row(a * dh + t, xs[a]);
                y.row(a * dh + t, ys[a]);
                nx[a] += Dots.dot(xs[a], xs[a], 0, 0, cols);
                ny[a] += Dots.dot(ys[a], ys[a], 0, 0, cols);
            }
            for (int a = 0; a < blocks; a++) {
                for (int b = 0; b < blocks; b++) {
                    dot[a][b] += Dots.dot(xs[a], ys[b], 0, 0, cols);
                }
            }
        }
        addSquaredDistances(cost, nx, ny, dot);
    }

    /** Adds ‖X[:, a] − Y[:, b]‖² for column blocks of d_h columns, streaming the rows. */
    private void columnBlockCosts(RowMatrix x, RowMatrix y, int blocks, double[][] cost) {
        int dh = layout.headDim();
        float[] xr = new float[x.cols()];
        float[] yr = new float[y.cols()];
        double[] nx = new double[blocks];
        double[] ny = new double[blocks];
        double[][] dot = new double[blocks][blocks];
        for (int r = 0; r < x.rows(); r++) {
            x.row(r, xr);
            y.row(r, yr);
            for (int a = 0; a < blocks; a++) {
                nx[a] += Dots.dot(xr, xr, a * dh, a * dh, dh);
                ny[a] += Dots.dot(yr, yr, a * dh, a * dh, dh);
                for (int b = 0; b < blocks; b++) {
                    dot[a][b] += Dots.dot(xr, yr, a * dh, b * dh, dh);
                }
            }
        }
        addSquaredDistances(cost, nx, ny, dot);
    }

    private static void addSquaredDistances(double[][] cost, double[] nx, double[] ny, double[][] dot) {
        for (int a = 0; a < nx.length; a++) {
            for (int b = 0; b < ny.length; b++) {
                cost[a][b] += Math.max(0, nx[a] + ny[b] - 2 * dot[a][b]);
            }
        }
    }

    /** The exact optimum over the GQA symmetry group, or the identity unless it lowers the cost by minRelGain. */
    public HeadPermutation solve(Costs c, double minRelGain) {
        int hkv = layout.kvHeads();
        int r = layout.groupSize();
        double[][] group = new double[hkv][hkv];
        int[][][] inner = new int[hkv][hkv][];
        for (int g = 0; g < hkv; g++) {
            for (int h = 0; h < hkv; h++) {
                double[][] sub = new double[r][r];
                for (int j = 0; j < r; j++) {
                    for (int jj = 0; jj < r; jj++) {
                        sub[j][jj] = c.qo()[g * r + j][h * r + jj];
                    }
                }
                inner[g][h] = Assignment.solve(sub);
                group[g][h] = c.kv()[g][h] + Assignment.cost(sub, inner[g][h]);
            }
        }
        int[] sigma = Assignment.solve(group);
        double optimum = Assignment.cost(group, sigma);
        double identity = 0;
        for (int g = 0; g < hkv; g++) {
            identity += c.kv()[g][g];
        }
        for (int h = 0; h < layout.heads(); h++) {
            identity += c.qo()[h][h];
        }
        if (!(optimum < identity * (1 - minRelGain))) {
            return HeadPermutation.identity(layout.heads(), hkv, identity);
        }
        int[] pi = new int[layout.heads()];
        for (int g = 0; g < hkv; g++) {
            for (int j = 0; j < r; j++) {
                pi[g * r + j] = sigma[g] * r + inner[g][sigma[g]][j];
            }
        }
        return new HeadPermutation(pi, sigma, identity, optimum);
    }
}
