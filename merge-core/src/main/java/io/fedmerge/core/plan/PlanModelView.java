package io.fedmerge.core.plan;

import io.fedmerge.core.align.AttentionLayout;
import io.fedmerge.core.align.RowMatrix;
import io.fedmerge.core.io.MappedElements;
import io.fedmerge.core.method.ModelView;
import io.fedmerge.core.method.SliceAccumulator;
import io.fedmerge.core.method.StatsPass;
import io.fedmerge.core.method.TensorParameters;
import io.fedmerge.core.method.TensorPermutation;
import io.fedmerge.core.method.UnitReport;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/** The executor's side of a method's preparation: streaming access to a plan's tensors, and the permutations. */
final class PlanModelView implements ModelView {
    private final MergePlan plan;
    private final TensorMergeRunner runner;
    private final Consumer<String> warnings;
    private final Consumer<UnitReport> report;
    private final List<Map<String, TensorPermutation>> permutations = new ArrayList<>();

    PlanModelView(MergePlan plan, TensorMergeRunner runner, Consumer<String> warnings, Consumer<UnitReport> report) {
        this.plan = plan;
        this.runner = runner;
        this.warnings = warnings;
        this.report = report;
        for (int i = 0; i < plan.contributors().size(); i++) {
            permutations.add(new HashMap<>());
        }
    }

    /** The contributors as the merge must read them: through their permutations, where any were set. */
    List<DeltaSource> sources() {
        List<DeltaSource> out = new ArrayList<>();
        for (int i = 0; i < plan.contributors().size(); i++) {
            DeltaSource s = plan.contributors().get(i);
            out.add(permutations.get(i).isEmpty() ? s : new PermutedDelta(s, plan.base(), permutations.get(i)));
        }
        return out;
    }

    @Override
    public List<String> tensorNames() {
        return plan.base().tensorNames();
    }

    @Override
    public long[] shape(String tensor) {
        return plan.base().info(tensor).shape();
    }

    @Override
    public List<String> contributorIds() {
        return plan.contributorIds();
    }

    @Override
    public TensorParameters parameters(String tensor) {
        return plan.parameters().resolve(tensor, plan.layers().t(tensor));
    }

    @Override
    public AttentionLayout attention() {
        return plan.attention();
    }

    @Override
    public RowMatrix baseRows(String tensor, Arena arena) {
        long[] shape = shape(tensor);
        MappedElements m = plan.base().mapElements(tensor, 0, (int) plan.base().info(tensor).elementCount(), arena);
        int cols = (int) shape[shape.length - 1];
        return rows(shape, (r, dst) -> m.decode(r * cols, cols, dst));
    }

    @Override
    public RowMatrix modelRows(int contributor, String tensor, Arena arena) {
        long[] shape = shape(tensor);
        int n = (int) plan.base().info(tensor).elementCount();
        MappedElements base = plan.base().mapElements(tensor, 0, n, arena);
        DeltaSource.Mapped delta = plan.contributors().get(contributor).map(tensor, 0, n, arena);
        int cols = (int) shape[shape.length - 1];
        float[] b = new float[cols]; // one base row, reused: the alignment reads rows one at a time
        return rows(shape, (r, dst) -> {
            base.decode(r * cols, cols, b);
            delta.read(r * cols, cols, b, dst);
            for (int c = 0; c < cols; c++) {
                dst[c] += b[c];
            }
        });
    }

    private interface RowReader {
        void read(int row, float[] dst);
    }

    private static RowMatrix rows(long[] shape, RowReader reader) {
        int rows = shape.length == 2 ? (int) shape[0] : 1;
        int cols = (int) shape[shape.length - 1];
        return new RowMatrix() {
            @Override
            public int rows() {
                return rows;
            }

            @Override
            public int cols() {
                return cols;
            }

            @Override
            public void row(int r, float[] dst) {
                reader.read(r, dst);
            }
        };
    }

    @Override
    public void permute(int contributor, String tensor, TensorPermutation permutation) {
        permutations.get(contributor).put(tensor, permutation);
    }

    @Override
    public <A extends SliceAccumulator> List<A> accumulate(String tensor, IntFunction<A> perSlice) {
        List<A> collected = new ArrayList<>();
        var info = plan.base().info(tensor);
        runner.accumulate(StatsPass.of(perSlice, collected::addAll), info.elementCount(), info.rowLength(),
                plan.contributors().size(), SliceReaders.of(plan.base(), plan.layoutName(), tensor, sources()));
        return collected;
    }

    @Override
    public Consumer<String> warnings() {
        return warnings;
    }

    @Override
    public Consumer<UnitReport> report() {
        return report;
    }
}
