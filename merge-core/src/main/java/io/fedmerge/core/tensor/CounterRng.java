package io.fedmerge.core.tensor;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The counter-based random stream of MERGE_METHODS §2.5: one stream per (seed, tensor, contributor), and the k-th
 * draw is a pure function of k. Any worker can therefore draw any slice, and masks do not depend on thread count,
 * slicing or execution order. u(k) equals the (k+1)-th {@code new SplittableRandom(s).nextDouble()}.
 */
public final class CounterRng {
    private static final long GAMMA = 0x9E3779B97F4A7C15L;
    private static final double DOUBLE_UNIT = 0x1.0p-53;

    private final long state;

    public CounterRng(long state) {
        this.state = state;
    }

    /** The stream for one contributor's tensor in a round with the given seed. */
    public static CounterRng forTensor(long seed, String tensorName, String contributorId) {
        return new CounterRng(streamSeed(seed, tensorName, contributorId));
    }

    /** First 8 bytes, big-endian, of SHA-256("fedmerge-rng-v1|seed|tensor|contributor"). */
    public static long streamSeed(long seed, String tensorName, String contributorId) {
        String msg = "fedmerge-rng-v1|" + seed + "|" + tensorName + "|" + contributorId;
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(msg.getBytes(StandardCharsets.UTF_8));
            long s = 0;
            for (int i = 0; i < 8; i++) {
                s = (s << 8) | (h[i] & 0xFF);
            }
            return s;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK ships SHA-256", e);
        }
    }

    public long state() {
        return state;
    }

    /** The draw for flat element {@code k}, uniform in [0, 1). */
    public double uniform(long k) {
        return bits53(k) * DOUBLE_UNIT;
    }

    /** The 53 random bits behind {@link #uniform}: uniform(k) = bits53(k) · 2⁻⁵³ exactly. */
    public long bits53(long k) {
        return mix64(state + (k + 1) * GAMMA) >>> 11;
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
