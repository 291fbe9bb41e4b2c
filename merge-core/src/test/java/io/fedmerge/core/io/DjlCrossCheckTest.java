package io.fedmerge.core.io;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.passthrough.PassthroughNDManager;
import io.fedmerge.core.tensor.Bf16;
import io.fedmerge.core.tensor.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An independent decoder (DJL's) reads our files back with the same names, shapes, dtypes and bytes. */
class DjlCrossCheckTest {
    @TempDir
    Path dir;

    @Test
    void djlDecodesWhatTheWriterWrites() throws Exception {
        List<TensorSpec> specs = List.of(new TensorSpec("w.f32", DType.F32, new long[] {3, 2}),
                new TensorSpec("w.bf16", DType.BF16, new long[] {4}), new TensorSpec("w.f16", DType.F16, new long[] {2}));
        Path file = dir.resolve("x.safetensors");
        float[] values = {1.5f, -2.25f, 3f, 0.125f, -7f, 1e-3f};
        try (SafetensorsWriter w = new SafetensorsWriter(file, specs, Map.of("format", "pt"))) {
            w.write("w.f32", 0, values, 6);
            w.write("w.bf16", 0, values, 4);
            w.write("w.f16", 0, values, 2);
        }
        NDList list = NDList.decode(PassthroughNDManager.INSTANCE, Files.readAllBytes(file));
        assertThat(list).hasSize(3);
        NDArray f32 = byName(list, "w.f32");
        assertThat(f32.getDataType()).isEqualTo(DataType.FLOAT32);
        assertThat(f32.getShape().getShape()).containsExactly(3, 2);
        ByteBuffer b = f32.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            assertThat(b.getFloat()).isEqualTo(v);
        }
        NDArray bf16 = byName(list, "w.bf16");
        assertThat(bf16.getDataType()).isEqualTo(DataType.BFLOAT16);
        ByteBuffer bb = bf16.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 4; i++) {
            assertThat(bb.getShort()).isEqualTo(Bf16.fromFloat(values[i]));
        }
        NDArray f16 = byName(list, "w.f16");
        assertThat(f16.getDataType()).isEqualTo(DataType.FLOAT16);
        assertThat(f16.getShape().getShape()).containsExactly(2);
    }

    private static NDArray byName(NDList list, String name) {
        return list.stream().filter(a -> name.equals(a.getName())).findFirst().orElseThrow();
    }
}
