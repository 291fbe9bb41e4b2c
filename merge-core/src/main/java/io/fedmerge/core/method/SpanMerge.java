package io.fedmerge.core.method;

import java.util.List;

/**
 * Methods whose result is a linear combination out = γ·θ₀ + Σ βᵢ·xᵢ of the contributors' vectors xᵢ (task vectors
 * Δᵢ, or full weights θᵢ), with coefficients that depend only on the Gram matrix ⟨xᵢ, xⱼ⟩ — spherical
 * interpolations and averages (model_stock, nuslerp, multislerp, karcher). So one float64 statistics pass gathers
 * the Gram matrix and one element-wise pass applies the combination, for a whole tensor, per row or per column.
 */
abstract class SpanMerge implements MergeMethod {
    /** Whether xᵢ is the task vector (true) or the full weights θ₀ + Δᵢ (false). */
    abstract boolean onDeltas(TensorContext context);

    /**
     * Whether the base's own weights θ₀ join the contributors' full weights as one more vector, last (false unless a
     * method on full weights says so): mergekit hands such methods every model of the config, base_model included.
     */
    boolean baseTakesPart() {
        return false;
    }

    /** Vectors: the whole tensor, each row (last dimension), or each column (first dimension). */
    enum Segments { WHOLE, ROWS, COLUMNS }

    /** The whole tensor unless a method says otherwise. */
    Segments segments(TensorContext context) {
        return Segments.WHOLE;
    }

    /** Coefficients {γ, β₁ … β_n} for a segment with the Gram matrix {@code gram} of its n vectors. */
    abstract double[] coefficients(TensorContext context, double[][] gram);

    @Override
    public TensorMerge forTensor(TensorContext context) {
        return new SpanTensorMerge(this, context);
    }

    private static final class SpanTensorMerge implements TensorMerge {
        private final SpanMerge method;
        private final TensorContext ctx;
        private final boolean deltas;
        private final Segments segments;
        private final int k;
        /** Vectors per element: the k contributors', then θ₀ when the base takes part. */
        private final int n;
        private final int cols;
        private double[][] coefficients; // per segment (1 for WHOLE, cols for COLUMNS)

        SpanTensorMerge(SpanMerge method, TensorContext ctx) {
            this.method = method;
            this.ctx = ctx;
            this.deltas = method.onDeltas(ctx);
            this.k = ctx.contributors();
            this.n = method.baseTakesPart() ? k + 1 : k;
            long[] shape = ctx.shape();
            Segments s = method.segments(ctx);
            this.segments = shape.length < 2 && s != Segments.WHOLE ? Segments.WHOLE : s;
            this.cols = shape.length < 2 ? (int) ctx.elementCount() : (int) (ctx.elementCount() / shape[0]);
        }

        /** Rows are whole within a block, so per-row Gram matrices need no pass; other segments span slices. */
        @Override
        public StatsPass<?> nextPass() {
            return segments == Segments.ROWS || coefficients != null ? null
                    : StatsPass.of(s -> new GramAccumulator(), this::solve);
        }

        private final class GramAccumulator implements SliceAccumulator {
            final double[][][] gram = new double[segments == Segments.COLUMNS ? cols : 1][n][n];
            private final float[][] x = new float[n][];

            @Override
            public void accept(Slice block) {
                int len = block.length();
                vectors(block, x);
                if (segments == Segments.WHOLE) {
                    for (int a = 0; a < n; a++) {
                        for (int b = a; b < n; b++) {
                            gram[0][a][b] += io.fedmerge.core.align.Dots.dot(x[a], x[b], len);
                        }
                    }
                    return;
                }
                for (int j = 0; j < len; j++) {
                    double[][] g = gram[segments == Segments.COLUMNS ? (int) ((block.first() + j) % cols) : 0];
                    for (int a = 0; a < n; a++) {
                        double xa = x[a][j];
                        for (int b = a; b < n; b++) {
                            g[a][b] += xa * x[b][j];
                        }
                    }
                }
            }
        }

        /** The xᵢ of a block: the deltas, or (in place) the full weights; then θ₀ when the base takes part. */
        private void vectors(Slice block, float[][] out) {
            for (int i = 0; i < k; i++) {
                float[] d = block.deltas()[i];
                if (!deltas) {
                    float[] base = block.base();
                    for (int j = 0; j < block.length(); j++) {
                        d[j] += base[j];
                    }
                }
                out[i] = d;
            }
            if (n > k) {
                out[k] = block.base();
            }
        }

        private void solve(List<GramAccumulator> slices) {
            int segmentCount = segments == Segments.COLUMNS ? cols : 1;
            coefficients = new double[segmentCount][];
            for (int s = 0; s < segmentCount; s++) {
                double[][] g = new double[n][n];
                for (GramAccumulator acc : slices) {
                    double[][] part = acc.gram[s];
                    for (int a = 0; a < n; a++) {
                        for (int b = a; b < n; b++) {
                            g[a][b] += part[a][b];
                        }
                    }
                }
                coefficients[s] = method.coefficients(ctx, symmetric(g));
            }
        }

        private double[][] symmetric(double[][] g) {
            for (int a = 0; a < n; a++) {
                for (int b = 0; b < a; b++) {
                    g[a][b] = g[b][a];
                }
            }
            return g;
        }

        @Override
        public BlockMerger merger(int slice) {
            float[][] x = new float[n][];
            return (block, out) -> {
                vectors(block, x);
                float[] base = block.base();
                int len = block.length();
                for (int start = 0; start < len; start += segments == Segments.ROWS ? cols : len) {
                    int end = segments == Segments.ROWS ? start + cols : len;
                    double[] whole = segments == Segments.ROWS ? rowCoefficients(x, start, end)
                            : segments == Segments.WHOLE ? coefficients[0] : null;
                    for (int j = start; j < end; j++) {
                        double[] c = whole != null ? whole : coefficients[(int) ((block.first() + j) % cols)];
                        double v = c[0] * base[j];
                        for (int i = 0; i < n; i++) {
                            v += c[i + 1] * x[i][j];
                        }
                        out[j] = (float) v;
                    }
                }
            };
        }

        private double[] rowCoefficients(float[][] x, int start, int end) {
            double[][] g = new double[n][n];
            for (int j = start; j < end; j++) {
                for (int a = 0; a < n; a++) {
                    for (int b = a; b < n; b++) {
                        g[a][b] += (double) x[a][j] * x[b][j];
                    }
                }
            }
            return method.coefficients(ctx, symmetric(g));
        }
    }

    /** ⟨u, v⟩ for coefficient vectors u, v over the basis whose Gram matrix is g. */
    static double inner(double[] u, double[] v, double[][] g) {
        double s = 0;
        for (int a = 0; a < u.length; a++) {
            for (int b = 0; b < v.length; b++) {
                s += u[a] * g[a][b] * v[b];
            }
        }
        return s;
    }
}
