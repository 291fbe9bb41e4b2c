package io.fedmerge.eval.model;

import io.fedmerge.core.io.Checkpoint;

/**
 * The decoder written as plainly as it can be, in float64, for tiny models only: every weight read whole, every
 * position recomputed from scratch with a causal mask, no cache, no blocking, no SIMD, no threads. The forward pass
 * under test must agree with it.
 */
final class ReferenceForward {
    private final Checkpoint c;
    private final ModelConfig cfg;

    ReferenceForward(Checkpoint c, ModelConfig cfg) {
        this.c = c;
        this.cfg = cfg;
    }

    /** Log-probabilities, at each position t, of every next token: [T][vocab]. */
    double[][] logProbs(int[] tokens) {
        int n = tokens.length;
        int d = cfg.hidden();
        double[][] x = new double[n][];
        double[][] embed = matrix("model.embed_tokens.weight");
        for (int t = 0; t < n; t++) {
            x[t] = embed[tokens[t]].clone();
        }
        for (int l = 0; l < cfg.layers(); l++) {
            String p = "model.layers." + l + ".";
            double[][] h = norm(x, vector(p + "input_layernorm.weight"));
            double[][] q = times(h, matrix(p + "self_attn.q_proj.weight"));
            double[][] k = times(h, matrix(p + "self_attn.k_proj.weight"));
            double[][] v = times(h, matrix(p + "self_attn.v_proj.weight"));
            int hd = cfg.headDim();
            for (int t = 0; t < n; t++) {
                for (int head = 0; head < cfg.heads(); head++) {
                    rope(q[t], head * hd, t);
                }
                for (int head = 0; head < cfg.kvHeads(); head++) {
                    rope(k[t], head * hd, t);
                }
            }
            double[][] att = new double[n][cfg.heads() * hd];
            for (int t = 0; t < n; t++) {
                for (int head = 0; head < cfg.heads(); head++) {
                    int kv = head / (cfg.heads() / cfg.kvHeads()) * hd;
                    double[] w = new double[t + 1];
                    double sum = 0;
                    for (int j = 0; j <= t; j++) {
                        double s = 0;
                        for (int i = 0; i < hd; i++) {
                            s += q[t][head * hd + i] * k[j][kv + i];
                        }
                        w[j] = Math.exp(s / Math.sqrt(hd));
                        sum += w[j];
                    }
                    for (int j = 0; j <= t; j++) {
                        for (int i = 0; i < hd; i++) {
                            att[t][head * hd + i] += w[j] / sum * v[j][kv + i];
                        }
                    }
                }
            }
            add(x, times(att, matrix(p + "self_attn.o_proj.weight")));
            double[][] m = norm(x, vector(p + "post_attention_layernorm.weight"));
            double[][] gate = times(m, matrix(p + "mlp.gate_proj.weight"));
            double[][] up = times(m, matrix(p + "mlp.up_proj.weight"));
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < gate[t].length; i++) {
                    gate[t][i] = gate[t][i] / (1 + Math.exp(-gate[t][i])) * up[t][i];
                }
            }
            add(x, times(gate, matrix(p + "mlp.down_proj.weight")));
        }
        double[][] logits = times(norm(x, vector("model.norm.weight")), matrix("lm_head.weight"));
        for (double[] row : logits) {
            double max = Double.NEGATIVE_INFINITY;
            for (double z : row) {
                max = Math.max(max, z);
            }
            double sum = 0;
            for (double z : row) {
                sum += Math.exp(z - max);
            }
            double log = max + Math.log(sum);
            for (int i = 0; i < row.length; i++) {
                row[i] -= log;
            }
        }
        return logits;
    }

    private void rope(double[] v, int at, int pos) {
        int half = cfg.headDim() / 2;
        for (int i = 0; i < half; i++) {
            double angle = pos / Math.pow(cfg.ropeTheta(), 2.0 * i / cfg.headDim());
            double a = v[at + i];
            double b = v[at + i + half];
            v[at + i] = a * Math.cos(angle) - b * Math.sin(angle);
            v[at + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
        }
    }

    private double[][] norm(double[][] x, double[] w) {
        double[][] y = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            double ss = 0;
            for (double f : x[t]) {
                ss += f * f;
            }
            double inv = 1 / Math.sqrt(ss / x[t].length + cfg.rmsNormEps());
            y[t] = new double[x[t].length];
            for (int i = 0; i < w.length; i++) {
                y[t][i] = w[i] * x[t][i] * inv;
            }
        }
        return y;
    }

    /** x · Wᵀ with W [out × in]. */
    private static double[][] times(double[][] x, double[][] w) {
        double[][] y = new double[x.length][w.length];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < w.length; o++) {
                double s = 0;
                for (int i = 0; i < w[o].length; i++) {
                    s += w[o][i] * x[t][i];
                }
                y[t][o] = s;
            }
        }
        return y;
    }

    private static void add(double[][] x, double[][] y) {
        for (int t = 0; t < x.length; t++) {
            for (int i = 0; i < x[t].length; i++) {
                x[t][i] += y[t][i];
            }
        }
    }

    private double[] vector(String name) {
        float[] f = new float[(int) c.info(name).elementCount()];
        c.readFloats(name, 0, f.length, f);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private double[][] matrix(String name) {
        int rows = (int) c.info(name).dim(0);
        int cols = (int) c.info(name).dim(1);
        double[] flat = vector(name);
        double[][] m = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(flat, r * cols, m[r], 0, cols);
        }
        return m;
    }
}
