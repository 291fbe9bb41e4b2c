package io.fedmerge.core.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API twins of the BF16 paths of {@link FloatCodec}: the conversions dominate a merge's CPU time, and a
 * scalar loop over {@code MemorySegment.get} runs at a fraction of memory bandwidth. Tails shorter than a vector go
 * through the scalar code, so results are identical bit for bit (tested against each other).
 */
final class SimdCodec {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private SimdCodec() {}

    static int decodeBf16(MemorySegment src, long byteOffset, float[] dst, int dstIndex, int count) {
        int lanes = F.length();
        int i = 0;
        for (; i + lanes <= count; i += lanes) {
            ShortVector s = ShortVector.fromMemorySegment(S, src, byteOffset + 2L * i, LE);
            IntVector wide = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
            wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dstIndex + i);
        }
        return i;
    }

    static int wholeVectors(int count) {
        return count - count % F.length();
    }

    /**
     * The first {@link #wholeVectors} elements of {@code dst = decoded - minus} ({@code minus} null: just decoded; one
     * IEEE subtraction each, as the scalar loop does), and whether all of them are finite: checked in the same pass,
     * where a separate scan would read the block again.
     */
    static boolean decodeBf16MinusFinite(MemorySegment src, long byteOffset, float[] minus, float[] dst, int count) {
        IntVector acc = IntVector.zero(I);
        for (int i = 0; i < count; i += F.length()) {
            ShortVector s = ShortVector.fromMemorySegment(S, src, byteOffset + 2L * i, LE);
            FloatVector v = ((IntVector) s.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats();
            FloatVector d = minus == null ? v : v.sub(FloatVector.fromArray(F, minus, i));
            d.intoArray(dst, i);
            acc = acc.or(nonFiniteSign(d.reinterpretAsInts()));
        }
        return !acc.compare(VectorOperators.LT, 0).anyTrue();
    }

    /** Negative exactly in the lanes holding NaN or an infinity: an all-ones exponent plus one step sets the sign. */
    private static IntVector nonFiniteSign(IntVector bits) {
        return bits.and(0x7F800000).add(0x00800000);
    }

    static int encodeBf16(float[] src, int srcIndex, int count, MemorySegment dst) {
        int lanes = F.length();
        int i = 0;
        for (; i + lanes <= count; i += lanes) {
            IntVector bits = FloatVector.fromArray(F, src, srcIndex + i).reinterpretAsInts();
            IntVector lsb = bits.lanewise(VectorOperators.LSHR, 16).and(1);
            IntVector rounded = bits.add(0x7FFF).add(lsb).lanewise(VectorOperators.LSHR, 16);
            // NaN: keep it quiet instead of letting the rounding carry turn it into infinity.
            VectorMask<Integer> nan = bits.and(0x7FFFFFFF).compare(VectorOperators.GT, 0x7F800000);
            IntVector quietNan = bits.lanewise(VectorOperators.LSHR, 16).or(0x0040);
            IntVector result = rounded.blend(quietNan, nan);
            ShortVector narrow = (ShortVector) result.convertShape(VectorOperators.I2S, S, 0);
            narrow.intoMemorySegment(dst, 2L * i, LE);
        }
        return i;
    }

    /** Number of leading lanes-multiple elements scanned and whether any of them is NaN or infinite. */
    static boolean anyNonFinite(float[] values, int count) {
        int lanes = F.length();
        IntVector acc = IntVector.zero(I);
        int i = 0;
        for (; i + lanes <= count; i += lanes) {
            IntVector bits = FloatVector.fromArray(F, values, i).reinterpretAsInts();
            acc = acc.or(nonFiniteSign(bits));
        }
        boolean bad = acc.compare(VectorOperators.LT, 0).anyTrue();
        for (; i < count && !bad; i++) {
            bad = (Float.floatToRawIntBits(values[i]) & 0x7F800000) == 0x7F800000;
        }
        return bad;
    }
}
