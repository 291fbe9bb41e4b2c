package io.fedmerge.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.core.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path dir;

    private static List<TensorSpec> specs() {
        return List.of(new TensorSpec("a", DType.F32, new long[] {4, 3}), new TensorSpec("b", DType.BF16, new long[] {5}),
                new TensorSpec("c", DType.F16, new long[] {2, 2}));
    }

    private Path writeModel(String name, long shardBytes) {
        Path target = dir.resolve(name);
        CheckpointWriter w = new CheckpointWriter(target, specs(), shardBytes, Map.of("format", "pt"));
        for (TensorSpec s : specs()) {
            float[] v = new float[(int) s.elementCount()];
            for (int i = 0; i < v.length; i++) {
                v[i] = 0.5f * i - 1;
            }
            w.write(s.name(), 0, v, v.length);
        }
        w.addFile("config.json", "{\"num_hidden_layers\": 1}");
        return w.commit();
    }

    @Test
    void readsBackWhatWasWrittenWhetherShardedOrNot() {
        Path single = writeModel("single", CheckpointWriter.DEFAULT_SHARD_BYTES);
        Path sharded = writeModel("sharded", 20);
        assertThat(single.resolve(Checkpoint.SINGLE_FILE)).exists();
        assertThat(sharded.resolve(Checkpoint.INDEX_FILE)).exists();
        assertThat(sharded.resolve("model-00001-of-00002.safetensors")).exists();
        try (Checkpoint a = Checkpoint.open(single); Checkpoint b = Checkpoint.open(sharded)) {
            assertThat(a.tensorNames()).containsExactly("a", "b", "c");
            assertThat(b.tensorNames()).containsExactly("a", "b", "c");
            float[] values = new float[12];
            b.readFloats("a", 0, 12, values);
            assertThat(values[3]).isEqualTo(0.5f);
            b.readFloats("c", 1, 3, values);
            assertThat(values[0]).isEqualTo(-0.5f);
            assertThat(CheckpointDigest.of(a)).isEqualTo(CheckpointDigest.of(b)).hasSize(64);
        }
    }

    @Test
    void digestChangesWithAnyValue() throws Exception {
        Path one = writeModel("one", CheckpointWriter.DEFAULT_SHARD_BYTES);
        Path two = dir.resolve("two");
        CheckpointWriter w = new CheckpointWriter(two, specs(), CheckpointWriter.DEFAULT_SHARD_BYTES, Map.of());
        for (TensorSpec s : specs()) {
            float[] v = new float[(int) s.elementCount()];
            for (int i = 0; i < v.length; i++) {
                v[i] = 0.5f * i - 1;
            }
            if (s.name().equals("c")) {
                v[3] = 7;
            }
            w.write(s.name(), 0, v, v.length);
        }
        w.commit();
        try (Checkpoint a = Checkpoint.open(one); Checkpoint b = Checkpoint.open(two)) {
            assertThat(CheckpointDigest.of(a)).isNotEqualTo(CheckpointDigest.of(b));
        }
    }

    @Test
    void refusesAnIndexThatNamesAMissingShard() throws Exception {
        Path sharded = writeModel("sharded", 20);
        Files.delete(sharded.resolve("model-00002-of-00002.safetensors"));
        assertThatThrownBy(() -> Checkpoint.open(sharded))
                .isInstanceOf(InvalidSafetensorsException.class)
                .hasMessageContainingAll("shard 'model-00002-of-00002.safetensors'", "is missing");
    }

    @Test
    void refusesAnIndexThatDisagreesWithTheShards() throws Exception {
        Path sharded = writeModel("sharded", 20);
        Path index = sharded.resolve(Checkpoint.INDEX_FILE);
        Files.writeString(index, Files.readString(index).replace("\"a\" : \"model-00001", "\"a\" : \"model-00002"));
        assertThatThrownBy(() -> Checkpoint.open(sharded))
                .isInstanceOf(InvalidSafetensorsException.class)
                .hasMessageContaining("does not contain it");
    }

    @Test
    void refusesADirectoryWithoutWeights() throws Exception {
        Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> Checkpoint.open(dir.resolve("empty")))
                .hasMessageContaining("neither model.safetensors nor model.safetensors.index.json");
    }

    @Test
    void abortLeavesNothingBehind() throws Exception {
        Path target = dir.resolve("aborted");
        CheckpointWriter w = new CheckpointWriter(target, specs(), 20, Map.of());
        w.write("a", 0, new float[12], 12);
        w.abort();
        try (var entries = Files.list(dir)) {
            assertThat(entries.toList()).isEmpty();
        }
    }

    @Test
    void refusesToWriteIntoANonEmptyDirectory() throws Exception {
        Path target = writeModel("existing", CheckpointWriter.DEFAULT_SHARD_BYTES);
        assertThatThrownBy(() -> new CheckpointWriter(target, specs(), 20, Map.of()))
                .hasMessageContaining("is not empty");
    }
}
