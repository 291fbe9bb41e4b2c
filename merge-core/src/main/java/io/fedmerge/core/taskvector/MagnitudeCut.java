package io.fedmerge.core.taskvector;

import java.io.IOException;

/**
 * The exact cut for keeping the k largest |x| of a tensor, found in two counting passes over its float bits without
 * sorting or holding the tensor (|x| of a finite float has its sign bit clear, so its bits order like the values):
 * pass one counts elements per upper 16 bits, which locates the bucket of the cut; pass two counts the lower 16 bits
 * inside that bucket, which pins the value and how many equal it. Written apart from the merge's own TIES ranking
 * (method.MagnitudeRanks), which samples and refines per slice for parallel merges: here one reader streams a tensor.
 *
 * @param bits elements whose |x| bits exceed this are kept
 * @param tiesKept and of those equal to it, this many first ones in flat order
 */
record MagnitudeCut(int bits, long tiesKept) {
    private static final int BUCKETS = 1 << 15;

    /** Streams a tensor's values chunk by chunk; called once per pass. */
    interface Pass {
        void run(ChunkSink sink) throws IOException;
    }

    interface ChunkSink {
        void accept(float[] values, int length);
    }

    static MagnitudeCut keepLargest(long n, long k, Pass tensor) throws IOException {
        if (k >= n) {
            return new MagnitudeCut(-1, 0);
        }
        if (k <= 0) {
            return new MagnitudeCut(Integer.MAX_VALUE, 0);
        }
        long rank = n - k; // ascending rank of the smallest kept element
        long[] high = new long[BUCKETS];
        tensor.run((x, len) -> {
            for (int i = 0; i < len; i++) {
                high[(Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF) >>> 16]++;
            }
        });
        long below = 0;
        int bucket = 0;
        while (below + high[bucket] <= rank) {
            below += high[bucket++];
        }
        int wanted = bucket;
        long[] low = new long[1 << 16];
        tensor.run((x, len) -> {
            for (int i = 0; i < len; i++) {
                int bits = Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF;
                if (bits >>> 16 == wanted) {
                    low[bits & 0xFFFF]++;
                }
            }
        });
        int value = 0;
        while (below + low[value] <= rank) {
            below += low[value++];
        }
        return new MagnitudeCut(wanted << 16 | value, below + low[value] - rank);
    }

    /** Zeroes the elements this cut drops from {@code x[0, length)}; {@code tiesSeen[0]} carries across chunks. */
    void apply(float[] x, int length, long[] tiesSeen) {
        for (int i = 0; i < length; i++) {
            int b = Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF;
            if (b < bits || (b == bits && tiesSeen[0]++ >= tiesKept)) {
                x[i] = 0f;
            }
        }
    }
}
