package io.fedmerge.core.plan;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a tensor sits in the layer stack, for gradient parameters (MERGE_METHODS §2.6): t = L/(N−1) for a tensor of
 * decoder layer L of N (t = 1 when N = 1); tensors outside the stack use t = 0, as mergekit does. In a layer-range
 * merge each slice is its own stack: output layers first … first + N − 1 run from t = 0 to 1, as in mergekit.
 */
public record LayerPositions(int layers, int first) {
    public LayerPositions(int layers) {
        this(layers, 0);
    }

    private static final Pattern LAYER = Pattern.compile("(?:^|\\.)layers\\.(\\d+)\\.");

    public double t(String tensorName) {
        Matcher m = LAYER.matcher(tensorName);
        if (!m.find()) {
            return 0;
        }
        if (layers <= 1) {
            return 1;
        }
        return Math.min(1.0, (Integer.parseInt(m.group(1)) - first) / (double) (layers - 1));
    }

    /** The number of layers: {@code num_hidden_layers} if the config names it, else 1 + the highest layer index. */
    public static LayerPositions of(Iterable<String> tensorNames, Integer configuredLayers) {
        if (configuredLayers != null && configuredLayers > 0) {
            return new LayerPositions(configuredLayers);
        }
        int max = -1;
        for (String name : tensorNames) {
            Matcher m = LAYER.matcher(name);
            if (m.find()) {
                max = Math.max(max, Integer.parseInt(m.group(1)));
            }
        }
        return new LayerPositions(max + 1);
    }
}
