package io.fedmerge.core.taskvector;

import io.fedmerge.core.FedmergeException;
import java.util.Locale;

/**
 * How a hospital thins its task vector before sending it (opt-in, lossy): {@code magnitude} keeps the
 * ⌊density·n⌋ largest |Δ| of each tensor (ties by flat index, as TIES trims), {@code random} keeps each element
 * with probability density and rescales the kept ones by 1/density, as DARE does, so the expectation is Δ.
 */
public record Sparsification(Kind kind, double density, long seed) {
    public enum Kind {
        MAGNITUDE, RANDOM;

        /** The name in manifests and metadata: "magnitude" or "random". */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Kind of(String label) {
            for (Kind k : values()) {
                if (k.label().equals(label)) {
                    return k;
                }
            }
            throw new FedmergeException("sparsifier '" + label + "' is unknown; use magnitude or random");
        }
    }

    public Sparsification {
        if (!(density > 0 && density <= 1)) {
            throw new FedmergeException("density " + density + " is outside (0, 1]: it is the fraction of each"
                    + " tensor's values that is sent");
        }
    }
}
