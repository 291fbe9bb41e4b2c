package io.fedmerge.core.taskvector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.TaskVectorFormat;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.tensor.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fedmerge-sparse-v1 sends exactly what the hospital chose to keep: magnitude keeps the ⌊d·n⌋ largest |Δ| of each
 * tensor bit for bit (checked against a sort of the dense task vector), random keeps about d of them rescaled by
 * 1/d from a seeded stream; the file is much smaller than the lossless encoding; and a damaged file is refused.
 * The "small" shape has tensors of several chunks, so cuts and ties cross chunk boundaries.
 */
class SparseDeltaTest {
    @TempDir
    static Path dir;
    static Path models;
    static Path dense;

    @BeforeAll
    static void generate() {
        models = dir.resolve("m");
        new CheckpointGenerator().generate(models, new CheckpointGenerator.Options(ModelShape.preset("small")
                .withLayers(1), 1, 23, DType.BF16, CheckpointWriter.DEFAULT_SHARD_BYTES, 0, 2), MergeProgress.NONE);
        dense = dir.resolve("dense.safetensors");
        new TaskVectorBuilder().build(models.resolve("base"), models.resolve("hospital-1"), dense, DType.F32,
                MergeProgress.NONE);
    }

    Path encodeAndDecode(String name, Sparsification how) {
        Path sparse = dir.resolve(name + ".fmsparse");
        new SparseDeltaEncoder().encode(models.resolve("base"), models.resolve("hospital-1"), sparse, how, null);
        Path decoded = dir.resolve(name + ".safetensors");
        try (Checkpoint b = Checkpoint.open(models.resolve("base"))) {
            new SparseDeltaDecoder().decode(b, sparse, decoded);
        }
        return decoded;
    }

    @Test
    void magnitudeKeepsExactlyTheLargestValuesOfEachTensorBitForBit() {
        Path decoded = encodeAndDecode("magnitude", new Sparsification(Sparsification.Kind.MAGNITUDE, 0.1, 0));
        try (Checkpoint d = Checkpoint.open(dense); Checkpoint s = Checkpoint.open(decoded)) {
            assertThat(s.metadata()).containsEntry(TaskVectorFormat.METHOD, "magnitude")
                    .containsEntry(TaskVectorFormat.DENSITY, "0.1")
                    .containsEntry(TaskVectorFormat.BASE_DIGEST, d.metadata().get(TaskVectorFormat.BASE_DIGEST));
            for (String name : d.tensorNames()) {
                float[] full = read(d, name);
                float[] kept = read(s, name);
                long k = (long) Math.floor(0.1 * full.length);
                float[] sorted = new float[full.length];
                for (int i = 0; i < full.length; i++) {
                    sorted[i] = Math.abs(full[i]);
                }
                Arrays.sort(sorted);
                float cut = k == 0 ? Float.POSITIVE_INFINITY : sorted[full.length - (int) k];
                long keptCount = 0;
                long tiesKept = 0;
                long tiesWanted = k == 0 ? 0 : k - countAbove(sorted, cut);
                for (int i = 0; i < full.length; i++) {
                    boolean expectKept = Math.abs(full[i]) > cut || (Math.abs(full[i]) == cut && tiesKept < tiesWanted);
                    if (Math.abs(full[i]) == cut && expectKept) {
                        tiesKept++;
                    }
                    float expected = expectKept ? full[i] : 0f;
                    assertThat(Float.floatToRawIntBits(kept[i])).as("%s[%d]", name, i)
                            .isEqualTo(Float.floatToRawIntBits(expected));
                    keptCount += expectKept ? 1 : 0;
                }
                assertThat(keptCount).as(name).isEqualTo(k);
            }
        }
    }

    @Test
    void randomKeepsAboutTheDensityRescaledFromItsSeededStream() {
        Path a = encodeAndDecode("random-a", new Sparsification(Sparsification.Kind.RANDOM, 0.25, 42));
        Path again = encodeAndDecode("random-again", new Sparsification(Sparsification.Kind.RANDOM, 0.25, 42));
        Path other = encodeAndDecode("random-other", new Sparsification(Sparsification.Kind.RANDOM, 0.25, 43));
        try (Checkpoint d = Checkpoint.open(dense); Checkpoint s = Checkpoint.open(a);
                Checkpoint s2 = Checkpoint.open(again); Checkpoint o = Checkpoint.open(other)) {
            assertThat(s.metadata()).containsEntry(TaskVectorFormat.METHOD, "random")
                    .containsEntry(TaskVectorFormat.SEED, "42");
            long n = 0;
            long kept = 0;
            long differ = 0;
            for (String name : d.tensorNames()) {
                float[] full = read(d, name);
                float[] thin = read(s, name);
                assertThat(read(s2, name)).as("same seed, same stream").isEqualTo(thin);
                float[] otherThin = read(o, name);
                for (int i = 0; i < full.length; i++) {
                    if (thin[i] != 0f) {
                        kept++;
                        assertThat(thin[i]).as("%s[%d]", name, i).isEqualTo(full[i] * 4f);
                    }
                    differ += (thin[i] != 0f) != (otherThin[i] != 0f) ? 1 : 0;
                    n += full[i] != 0f ? 1 : 0; // a zero delta sends nothing, kept or not
                }
            }
            // Binomial(n, 0.25) over the nonzero deltas: 6 standard deviations either side.
            double sd = Math.sqrt(n * 0.25 * 0.75);
            assertThat((double) kept).isBetween(0.25 * n - 6 * sd, 0.25 * n + 6 * sd);
            assertThat(differ).as("another seed keeps other elements").isGreaterThan(n / 5);
        }
    }

    @Test
    void aTenthOfTheValuesCostsFarLessThanTheLosslessEncoding() throws IOException {
        Path sparse = dir.resolve("size.fmsparse");
        Path xor = dir.resolve("size.fmxor");
        SparseDeltaEncoder.Result s = new SparseDeltaEncoder().encode(models.resolve("base"),
                models.resolve("hospital-1"), sparse, new Sparsification(Sparsification.Kind.MAGNITUDE, 0.1, 0), null);
        XorDeltaEncoder.Result x = new XorDeltaEncoder().encode(models.resolve("base"), models.resolve("hospital-1"),
                xor);
        assertThat(s.kept()).isLessThanOrEqualTo(s.elements() / 10);
        assertThat(s.bytes()).as("sparse %d vs lossless %d", s.bytes(), x.bytes()).isLessThan(x.bytes() / 2);
    }

    @Test
    void aDensityOutsideZeroToOneIsRefused() {
        for (double d : new double[] {0, -0.5, 1.5, Double.NaN}) {
            assertThatThrownBy(() -> new Sparsification(Sparsification.Kind.MAGNITUDE, d, 0))
                    .isInstanceOf(FedmergeException.class).hasMessageContaining("outside (0, 1]");
        }
        assertThatThrownBy(() -> Sparsification.Kind.of("topk")).hasMessageContaining("use magnitude or random");
    }

    @Test
    void damagedFilesAreRefusedSayingWhere() throws IOException {
        Path ok = dir.resolve("ok.fmsparse");
        new SparseDeltaEncoder().encode(models.resolve("base"), models.resolve("hospital-1"), ok,
                new Sparsification(Sparsification.Kind.MAGNITUDE, 0.5, 0), null);
        byte[] good = Files.readAllBytes(ok);
        int firstPlane = 12 + ByteBuffer.wrap(good, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();

        assertRefused(Arrays.copyOf(good, good.length - 3), "truncated");
        assertRefused(Arrays.copyOf(good, good.length + 1), "bytes follow the last chunk");
        byte[] magic = good.clone();
        magic[2] = 'X';
        assertRefused(magic, "magic bytes");
        byte[] codec = good.clone();
        codec[firstPlane] = 9;
        assertRefused(codec, "chunk at element 0 (bitmap): plane codec 9");
    }

    private static void assertRefused(byte[] file, String fragment) throws IOException {
        Path bad = Files.write(dir.resolve("bad.fmsparse"), file);
        Path out = dir.resolve("bad.safetensors");
        try (Checkpoint b = Checkpoint.open(models.resolve("base"))) {
            assertThatThrownBy(() -> new SparseDeltaDecoder().decode(b, bad, out))
                    .isInstanceOf(FedmergeException.class)
                    .hasMessageContaining("bad.fmsparse is not a valid fedmerge-sparse-v1 contribution")
                    .hasMessageContaining(fragment);
        }
        assertThat(out).doesNotExist();
    }

    private static long countAbove(float[] sortedAbs, float cut) {
        long above = 0;
        for (int i = sortedAbs.length - 1; i >= 0 && sortedAbs[i] > cut; i--) {
            above++;
        }
        return above;
    }

    private static float[] read(Checkpoint c, String name) {
        float[] x = new float[(int) c.info(name).elementCount()];
        c.readFloats(name, 0, x.length, x);
        return x;
    }
}
