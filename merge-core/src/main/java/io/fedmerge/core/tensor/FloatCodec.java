package io.fedmerge.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Converts between little-endian tensor bytes and float32 working arrays. Every merge computes in float32, so this
 * is the one place where dtypes matter.
 */
public final class FloatCodec {
    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Set {@code -Dfedmerge.simd=false} to use only the scalar kernels (the reference the SIMD ones are tested against). */
    private static final boolean SIMD = simdAvailable();

    private FloatCodec() {}

    private static boolean simdAvailable() {
        if (!Boolean.parseBoolean(System.getProperty("fedmerge.simd", "true"))) {
            return false;
        }
        try {
            Class.forName("jdk.incubator.vector.FloatVector");
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false; // run without --add-modules jdk.incubator.vector: scalar kernels only
        }
    }

    public static boolean simdEnabled() {
        return SIMD;
    }

    /** Decodes {@code count} elements of {@code dtype} starting at byte {@code byteOffset} of {@code src}. */
    public static void decode(MemorySegment src, long byteOffset, DType dtype, float[] dst, int dstIndex, int count) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, F32_LE, byteOffset, dst, dstIndex, count);
            case BF16 -> {
                int done = SIMD ? SimdCodec.decodeBf16(src, byteOffset, dst, dstIndex, count) : 0;
                for (int i = done; i < count; i++) {
                    short bits = src.get(I16_LE, byteOffset + 2L * i);
                    dst[dstIndex + i] = Float.intBitsToFloat((bits & 0xFFFF) << 16);
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstIndex + i] = Float.float16ToFloat(src.get(I16_LE, byteOffset + 2L * i));
                }
            }
        }
    }

    /**
     * {@code dst[i] = decoded[i] - minus[i]} for {@code i < count} ({@code minus} null: just decoded), returning
     * whether every result is finite (a NaN or infinite decoded value makes its difference so too; so does an
     * overflowing subtraction).
     */
    public static boolean decodeMinusFinite(MemorySegment src, long byteOffset, DType dtype, float[] minus,
            float[] dst, int count) {
        int done = 0;
        boolean finite = true;
        if (dtype == DType.BF16 && SIMD) {
            done = SimdCodec.wholeVectors(count);
            finite = SimdCodec.decodeBf16MinusFinite(src, byteOffset, minus, dst, done);
        }
        decode(src, byteOffset + (long) done * dtype.byteSize(), dtype, dst, done, count - done);
        for (int i = done; minus != null && i < count; i++) {
            dst[i] -= minus[i];
        }
        return finite && firstNonFinite(dst, done, count) < 0;
    }

    /** Encodes {@code count} floats into {@code dst} (little-endian {@code dtype}) starting at byte 0. */
    public static void encode(float[] src, int srcIndex, int count, DType dtype, MemorySegment dst) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, srcIndex, dst, F32_LE, 0, count);
            case BF16 -> {
                int done = SIMD ? SimdCodec.encodeBf16(src, srcIndex, count, dst) : 0;
                for (int i = done; i < count; i++) {
                    dst.set(I16_LE, 2L * i, Bf16.fromFloat(src[srcIndex + i]));
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(I16_LE, 2L * i, Float.floatToFloat16(src[srcIndex + i]));
                }
            }
        }
    }

    /** Index of the first NaN or infinite value in {@code values[0, count)}, or -1. */
    public static int firstNonFinite(float[] values, int count) {
        if (SIMD && !SimdCodec.anyNonFinite(values, count)) {
            return -1;
        }
        return firstNonFinite(values, 0, count);
    }

    private static int firstNonFinite(float[] values, int from, int to) {
        for (int i = from; i < to; i++) {
            // Exponent all ones means Inf or NaN; checking bits avoids two comparisons per element.
            if ((Float.floatToRawIntBits(values[i]) & 0x7F800000) == 0x7F800000) {
                return i;
            }
        }
        return -1;
    }
}
