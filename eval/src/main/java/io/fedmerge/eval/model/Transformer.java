package io.fedmerge.eval.model;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.io.Checkpoint;
import java.nio.file.Path;

/**
 * The forward pass of a Llama/Mistral decoder over a mapped checkpoint, in float32: RMSNorm, attention with rotary
 * position embeddings (Hugging Face's rotate-half layout), grouped key/value heads and Mistral's sliding window, a
 * SwiGLU MLP, the final norm and the LM head. Tokens of one call go through each weight matrix together, so a
 * prompt reads every weight once; memory is the activations and the key/value cache, never the weights.
 */
public final class Transformer implements AutoCloseable {
    private final ModelConfig config;
    private final Checkpoint checkpoint;
    private final Weights weights;
    private final float[][] inputNorms;
    private final float[][] postNorms;
    private final float[] finalNorm;
    private final double[] inverseFrequencies;

    private Transformer(ModelConfig config, Checkpoint checkpoint, Weights weights) {
        this.config = config;
        this.checkpoint = checkpoint;
        this.weights = weights;
        this.inputNorms = new float[config.layers()][];
        this.postNorms = new float[config.layers()][];
        for (int l = 0; l < config.layers(); l++) {
            inputNorms[l] = weights.vector(layer(l) + "input_layernorm.weight");
            postNorms[l] = weights.vector(layer(l) + "post_attention_layernorm.weight");
        }
        this.finalNorm = weights.vector("model.norm.weight");
        int half = config.headDim() / 2;
        this.inverseFrequencies = new double[half];
        for (int i = 0; i < half; i++) {
            inverseFrequencies[i] = 1.0 / Math.pow(config.ropeTheta(), 2.0 * i / config.headDim());
        }
    }

    /** Opens a model directory (config.json and safetensors), with a PEFT adapter applied when one is given. */
    public static Transformer open(Path model, Path adapterDir, int threads) {
        Checkpoint c = Checkpoint.open(model);
        LoraAdapter adapter = null;
        try {
            String json = c.configJson();
            if (json == null) {
                throw new FedmergeException(model + " has no config.json: the forward pass needs the model's"
                        + " architecture");
            }
            ModelConfig config = ModelConfig.parse(json, model.resolve("config.json").toString());
            adapter = adapterDir == null ? null : LoraAdapter.open(adapterDir);
            return new Transformer(config, c, new Weights(c, adapter, threads));
        } catch (RuntimeException e) {
            if (adapter != null) {
                adapter.close();
            }
            c.close();
            throw e;
        }
    }

    public ModelConfig config() {
        return config;
    }

    public KvCache newCache() {
        return new KvCache(config.layers());
    }

    /**
     * Runs {@code tokens} at the positions after those in {@code cache}, appending their keys and values.
     *
     * @param allLogits logits of every position (true), or of the last one only
     * @return logits, one row per position returned
     */
    public float[][] forward(int[] tokens, KvCache cache, boolean allLogits) {
        return weights.project(lmHead(), finalHidden(tokens, cache, allLogits));
    }

    /** The final norm's output (what the LM head multiplies) for every position, or for the last one only. */
    public float[][] finalHidden(int[] tokens, KvCache cache, boolean all) {
        if (tokens.length == 0) {
            throw new FedmergeException("nothing to run: the prompt encodes to no tokens");
        }
        int start = cache.length();
        float[][] x = new float[tokens.length][];
        for (int t = 0; t < tokens.length; t++) {
            x[t] = weights.row("model.embed_tokens.weight", tokens[t]);
        }
        for (int l = 0; l < config.layers(); l++) {
            attention(l, x, start, cache);
            mlp(l, x);
        }
        float[][] last = all ? x : new float[][] {x[x.length - 1]};
        float[][] normed = new float[last.length][];
        for (int t = 0; t < last.length; t++) {
            normed[t] = rmsNorm(last[t], finalNorm);
        }
        return normed;
    }

    /** The tensor whose rows are the tokens' output embeddings. */
    public String lmHead() {
        return config.tiedEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
    }

    /** Row {@code token} of the LM head (that token's logit is this row · the final hidden state). */
    public float[] lmHeadRow(int token) {
        return weights.row(lmHead(), token);
    }

    private void attention(int l, float[][] x, int start, KvCache cache) {
        String p = layer(l) + "self_attn.";
        float[][] h = new float[x.length][];
        for (int t = 0; t < x.length; t++) {
            h[t] = rmsNorm(x[t], inputNorms[l]);
        }
        float[][] q = weights.project(p + "q_proj.weight", h);
        float[][] k = weights.project(p + "k_proj.weight", h);
        float[][] v = weights.project(p + "v_proj.weight", h);
        int hd = config.headDim();
        for (int t = 0; t < x.length; t++) {
            for (int head = 0; head < config.heads(); head++) {
                rotate(q[t], head * hd, start + t);
            }
            for (int head = 0; head < config.kvHeads(); head++) {
                rotate(k[t], head * hd, start + t);
            }
            cache.add(l, k[t], v[t]);
        }
        float[][] out = new float[x.length][config.heads() * hd];
        int group = config.heads() / config.kvHeads();
        double scale = 1.0 / Math.sqrt(hd);
        for (int t = 0; t < x.length; t++) {
            int pos = start + t;
            int from = config.slidingWindow() > 0 ? Math.max(0, pos - config.slidingWindow() + 1) : 0;
            for (int head = 0; head < config.heads(); head++) {
                attend(l, q[t], head * hd, (head / group) * hd, from, pos, scale, cache, out[t]);
            }
        }
        float[][] o = weights.project(p + "o_proj.weight", out);
        for (int t = 0; t < x.length; t++) {
            add(x[t], o[t]);
        }
    }

    /** One head of one position: softmax(q·k / √d) over positions [from, pos], weighting the values. */
    private void attend(int l, float[] q, int qAt, int kvAt, int from, int pos, double scale, KvCache cache,
            float[] out) {
        int hd = config.headDim();
        double[] scores = new double[pos - from + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = from; j <= pos; j++) {
            float[] key = cache.key(l, j);
            double s = 0;
            for (int i = 0; i < hd; i++) {
                s += q[qAt + i] * key[kvAt + i];
            }
            scores[j - from] = s * scale;
            max = Math.max(max, scores[j - from]);
        }
        double sum = 0;
        for (int j = 0; j < scores.length; j++) {
            scores[j] = Math.exp(scores[j] - max);
            sum += scores[j];
        }
        for (int j = from; j <= pos; j++) {
            float weight = (float) (scores[j - from] / sum);
            float[] value = cache.value(l, j);
            for (int i = 0; i < hd; i++) {
                out[qAt + i] += weight * value[kvAt + i];
            }
        }
    }

    private void mlp(int l, float[][] x) {
        String p = layer(l) + "mlp.";
        float[][] h = new float[x.length][];
        for (int t = 0; t < x.length; t++) {
            h[t] = rmsNorm(x[t], postNorms[l]);
        }
        float[][] gate = weights.project(p + "gate_proj.weight", h);
        float[][] up = weights.project(p + "up_proj.weight", h);
        for (int t = 0; t < x.length; t++) {
            for (int i = 0; i < gate[t].length; i++) {
                float g = gate[t][i];
                gate[t][i] = g / (1f + (float) Math.exp(-g)) * up[t][i];
            }
        }
        float[][] down = weights.project(p + "down_proj.weight", gate);
        for (int t = 0; t < x.length; t++) {
            add(x[t], down[t]);
        }
    }

    /** Rotary embedding of one head at {@code at}: pairs (i, i + d/2) turned by position·θ_i (rotate-half layout). */
    private void rotate(float[] v, int at, int position) {
        int half = config.headDim() / 2;
        for (int i = 0; i < half; i++) {
            double angle = position * inverseFrequencies[i];
            float cos = (float) Math.cos(angle);
            float sin = (float) Math.sin(angle);
            float a = v[at + i];
            float b = v[at + i + half];
            v[at + i] = a * cos - b * sin;
            v[at + i + half] = b * cos + a * sin;
        }
    }

    private float[] rmsNorm(float[] x, float[] weight) {
        double squares = 0;
        for (float f : x) {
            squares += (double) f * f;
        }
        float inv = (float) (1.0 / Math.sqrt(squares / x.length + config.rmsNormEps()));
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = weight[i] * (x[i] * inv);
        }
        return y;
    }

    private static void add(float[] x, float[] delta) {
        for (int i = 0; i < x.length; i++) {
            x[i] += delta[i];
        }
    }

    private static String layer(int l) {
        return "model.layers." + l + ".";
    }

    @Override
    public void close() {
        weights.close();
        checkpoint.close();
    }
}
