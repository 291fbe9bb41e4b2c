package io.fedmerge.core.taskvector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.plan.MergeProgress;
import io.fedmerge.core.tensor.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * fedmerge-xor-v1 is lossless: decoded with the base it gives the very bytes of the float32 task vector
 * TaskVectorBuilder writes, for every dtype, for fine-tunes with extra vocabulary and for a fine-tune stored in
 * another dtype than its base; it is never bigger than the fine-tune; and a damaged file is refused, saying where.
 */
class XorDeltaTest {
    @TempDir
    Path dir;

    Path generate(String name, DType dtype, int extraVocab) {
        Path out = dir.resolve(name);
        new CheckpointGenerator().generate(out, new CheckpointGenerator.Options(ModelShape.preset("tiny")
                .withLayers(3), 2, 17, dtype, CheckpointWriter.DEFAULT_SHARD_BYTES, extraVocab, 2),
                MergeProgress.NONE);
        return out;
    }

    /** Encodes, decodes with the base, and compares with the task vector built directly. */
    XorDeltaEncoder.Result roundTrip(Path base, Path tuned, String name) throws IOException {
        Path xor = dir.resolve(name + ".fmxor");
        XorDeltaEncoder.Result enc = new XorDeltaEncoder().encode(base, tuned, xor);
        Path decoded = dir.resolve(name + "-decoded.safetensors");
        try (Checkpoint b = Checkpoint.open(base)) {
            new XorDeltaDecoder().decode(b, xor, decoded);
        }
        Path direct = dir.resolve(name + "-direct.safetensors");
        new TaskVectorBuilder().build(base, tuned, direct, DType.F32, MergeProgress.NONE);
        assertThat(Files.readAllBytes(decoded)).as(name).isEqualTo(Files.readAllBytes(direct));
        return enc;
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void decodesToTheFloat32TaskVectorBitForBitAndIsSmallerThanTheFineTune(DType dtype) throws IOException {
        Path m = generate(dtype.name(), dtype, 5);
        XorDeltaEncoder.Result r = roundTrip(m.resolve("base"), m.resolve("hospital-1"), dtype.name());
        assertThat(r.bytes()).as("%s: %d bytes for %d of fine-tune", dtype, r.bytes(), r.finetunedBytes())
                .isLessThan(r.finetunedBytes());
        assertThat(r.warnings()).anyMatch(w -> w.contains("extra 5 rows are dropped"));
    }

    @Test
    void aFineTuneStoredInAnotherDtypeThanItsBaseIsSentAsItsOwnBits() throws IOException {
        Path bf16 = generate("b", DType.BF16, 0);
        Path f32 = generate("f", DType.F32, 0);
        XorDeltaEncoder.Result r = roundTrip(bf16.resolve("base"), f32.resolve("hospital-2"), "mixed");
        assertThat(r.bytes()).isLessThanOrEqualTo(r.finetunedBytes() + 4096);
    }

    @Test
    void aFineTuneEqualToItsBaseCostsAlmostNothing() throws IOException {
        Path m = generate("same", DType.BF16, 0);
        XorDeltaEncoder.Result r = roundTrip(m.resolve("base"), m.resolve("base"), "same");
        assertThat(r.bytes()).isLessThan(r.finetunedBytes() / 50);
    }

    @Test
    void damagedFilesAreRefusedSayingWhereAndLeaveNothingBehind() throws IOException {
        Path m = generate("bad", DType.BF16, 0);
        Path xor = dir.resolve("ok.fmxor");
        new XorDeltaEncoder().encode(m.resolve("base"), m.resolve("hospital-1"), xor);
        byte[] good = Files.readAllBytes(xor);
        int headerLength = ByteBuffer.wrap(good, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        int firstPlane = 12 + headerLength;

        assertRefused(m, Arrays.copyOf(good, good.length - 3), "truncated");
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        assertRefused(m, trailing, "bytes follow the last chunk");
        byte[] magic = good.clone();
        magic[0] = 'X';
        assertRefused(m, magic, "magic bytes");
        byte[] huge = good.clone();
        ByteBuffer.wrap(huge, 8, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(-1);
        assertRefused(m, huge, "declares a header of 4294967295 bytes");
        byte[] renamed = new String(good, java.nio.charset.StandardCharsets.ISO_8859_1)
                .replaceFirst("model.embed_tokens.weight", "model.embed_tokenz.weight")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        assertRefused(m, renamed, "tensor 0 is 'model.embed_tokenz.weight'; the base's is 'model.embed_tokens.weight'");
        byte[] codec = good.clone();
        codec[firstPlane] = 7;
        assertRefused(m, codec, "chunk at element 0: plane codec 7");
        byte[] notZstd = good.clone();
        notZstd[firstPlane] = 1; // claimed as zstd, and its first byte (a zstd frame's magic) broken
        notZstd[firstPlane + 5] ^= (byte) 0xFF;
        assertRefused(m, notZstd, "the zstd plane is corrupt");
        byte[] bomb = good.clone();
        ByteBuffer.wrap(bomb, firstPlane + 1, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(Integer.MAX_VALUE);
        assertRefused(m, bomb, "is not a valid plane");
    }

    private void assertRefused(Path models, byte[] file, String fragment) throws IOException {
        Path bad = Files.write(dir.resolve("bad.fmxor"), file);
        Path out = dir.resolve("bad.safetensors");
        try (Checkpoint b = Checkpoint.open(models.resolve("base"))) {
            assertThatThrownBy(() -> new XorDeltaDecoder().decode(b, bad, out)).isInstanceOf(FedmergeException.class)
                    .hasMessageContaining("bad.fmxor is not a valid fedmerge-xor-v1 contribution")
                    .hasMessageContaining(fragment);
        }
        assertThat(out).doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial"));
        }
    }
}
