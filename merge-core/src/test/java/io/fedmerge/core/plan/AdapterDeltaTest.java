package io.fedmerge.core.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.adapter.PeftFixture;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.SafetensorsWriter;
import io.fedmerge.core.io.TensorSpec;
import io.fedmerge.core.tensor.DType;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ΔW from the factors, for any slice of a tensor (starting and ending mid-row), checked against float64. */
class AdapterDeltaTest {
    static final String W = "layer.proj";
    static final String T = "layer.conv";
    static final String E = "embed";

    @TempDir
    Path dir;

    Checkpoint base;

    @BeforeEach
    void writeBase() {
        Path file = dir.resolve("base.safetensors");
        List<TensorSpec> specs = List.of(new TensorSpec(W + ".weight", DType.F32, new long[] {37, 23}),
                new TensorSpec(T + ".weight", DType.F32, new long[] {29, 41}),
                new TensorSpec(E + ".weight", DType.F32, new long[] {50, 12}),
                new TensorSpec("norm.weight", DType.F32, new long[] {23}));
        try (SafetensorsWriter w = new SafetensorsWriter(file, specs, Map.of())) {
            for (TensorSpec s : specs) {
                float[] v = new float[(int) s.elementCount()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) Math.sin(i * 0.37 + s.name().length());
                }
                w.write(s.name(), 0, v, v.length);
            }
            w.sync();
        }
        base = Checkpoint.open(file);
    }

    /** A linear module stored [out, in] and an embedding (stored transposed); scale α/r = 7/5. */
    PeftFixture fixture() {
        return new PeftFixture(5, 7).lora(W, 37, 23, 5, 1.4, false, false, 1).lora(E, 50, 12, 5, 1.4, true, true, 3);
    }

    @Test
    void everySliceOfEveryLayoutMatchesTheDenseProduct() {
        PeftFixture conv = new PeftFixture(3, 6).lora(T, 29, 41, 3, 2, true, false, 2);
        conv.config().put("fan_in_fan_out", true);
        for (PeftFixture f : new PeftFixture[] {fixture(), conv}) {
            everySliceMatches(f);
        }
    }

    private void everySliceMatches(PeftFixture f) {
        try (AdapterDelta delta = bind(f.write(dir.resolve("a" + f.loras().size())))) {
            for (PeftFixture.Lora l : f.loras().values()) {
                double[] want = PeftFixture.delta(l);
                int n = want.length;
                for (int[] slice : new int[][] {{0, n}, {0, 1}, {5, 17}, {22, 2}, {n - 30, 30}, {100, 333}}) {
                    assertSlice(delta, l.module() + ".weight", slice[0], slice[1], want);
                }
            }
        }
    }

    @Test
    void tensorsTheAdapterDoesNotTouchHaveZeroDelta() {
        try (AdapterDelta delta = bind(fixture().write(dir.resolve("z"))); Arena arena = Arena.ofConfined()) {
            float[] out = {9, 9, 9, 9};
            delta.map("norm.weight", 3, 4, arena).read(0, 4, new float[4], out);
            assertThat(out).containsOnly(0f);
        }
    }

    @Test
    void anAdapterForAnotherBaseNamesTheModuleAndBothShapes() {
        PeftFixture f = new PeftFixture(5, 7).lora(W, 37, 24, 5, 1, false, false, 1);
        Path a = f.write(dir.resolve("other"));
        assertThatThrownBy(() -> bind(a)).isInstanceOf(IncompatibleModelException.class)
                .hasMessageContaining("module '" + W + "' gives ΔW [37, 24]")
                .hasMessageContaining("base tensor '" + W + ".weight' is [37, 23]")
                .hasMessageContaining("another base model");
        Path missing = new PeftFixture(5, 7).lora("layer.gone", 3, 3, 5, 1, false, false, 1)
                .write(dir.resolve("missing"));
        assertThatThrownBy(() -> bind(missing)).isInstanceOf(IncompatibleModelException.class)
                .hasMessageContaining("adapts module 'layer.gone' but the base has no tensor 'layer.gone.weight'");
    }

    @Test
    void aNonFiniteFactorStopsTheReadNamingTheFactor() {
        PeftFixture f = new PeftFixture(5, 7).lora(W, 37, 23, 5, 1, false, false, 1);
        f.loras().get(W).a()[7] = Float.NaN;
        try (AdapterDelta delta = bind(f.write(dir.resolve("nan"))); Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> delta.map(W + ".weight", 0, 10, arena))
                    .isInstanceOf(NonFiniteValueException.class)
                    .hasMessageContaining("adapter a: tensor 'base_model.model." + W + ".lora_A.weight' element 7 is NaN");
        }
    }

    private AdapterDelta bind(Path adapterDir) {
        return AdapterDelta.bind("a", LoraAdapter.open(adapterDir), base, null, new ArrayList<>());
    }

    private void assertSlice(AdapterDelta delta, String tensor, int first, int length, double[] want) {
        try (Arena arena = Arena.ofConfined()) {
            DeltaSource.Mapped m = delta.map(tensor, first, length, arena);
            // read in two uneven blocks, as the runner does
            int head = length / 3;
            float[] out = new float[length];
            float[] part = new float[length];
            m.read(0, head, new float[length], part);
            System.arraycopy(part, 0, out, 0, head);
            m.read(head, length - head, new float[length], part);
            System.arraycopy(part, 0, out, head, length - head);
            for (int i = 0; i < length; i++) {
                assertThat((double) out[i]).as("%s[%d]", tensor, first + i).isCloseTo(want[first + i], within(1e-6));
            }
        }
    }
}
