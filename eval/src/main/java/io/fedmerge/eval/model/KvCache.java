package io.fedmerge.eval.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Keys and values of the positions processed so far, per layer (after RoPE), so a prompt shared by several answer
 * choices is run once. {@link #truncate} drops positions again (the tokens of one choice).
 */
public final class KvCache {
    private final List<List<float[]>> keys = new ArrayList<>();
    private final List<List<float[]>> values = new ArrayList<>();

    KvCache(int layers) {
        for (int l = 0; l < layers; l++) {
            keys.add(new ArrayList<>());
            values.add(new ArrayList<>());
        }
    }

    /** Positions held. */
    public int length() {
        return keys.getFirst().size();
    }

    public void truncate(int positions) {
        for (int l = 0; l < keys.size(); l++) {
            keys.get(l).subList(positions, keys.get(l).size()).clear();
            values.get(l).subList(positions, values.get(l).size()).clear();
        }
    }

    void add(int layer, float[] key, float[] value) {
        keys.get(layer).add(key);
        values.get(layer).add(value);
    }

    float[] key(int layer, int position) {
        return keys.get(layer).get(position);
    }

    float[] value(int layer, int position) {
        return values.get(layer).get(position);
    }
}
