package io.fedmerge.lowrank;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.adapter.LoraAdapter;
import io.fedmerge.core.adapter.LoraModule;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointWriter;
import io.fedmerge.core.io.FileTrees;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.io.TensorSpec;
import io.fedmerge.core.method.TensorContext;
import io.fedmerge.core.method.TensorParameters;
import io.fedmerge.core.plan.AdapterDelta;
import io.fedmerge.core.plan.AdapterExport;
import io.fedmerge.core.plan.DeltaSource;
import io.fedmerge.core.plan.MergeExecutor;
import io.fedmerge.core.plan.MergePlan;
import io.fedmerge.core.plan.ZeroDelta;
import io.fedmerge.core.tensor.DType;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ejml.data.DMatrixRMaj;

/**
 * {@code fedmerge merge --as-adapter}. When every input is a LoRA adapter on the base and the method is a linear
 * combination (linear, task_arithmetic), the merged ΔW of a module is Σ cᵢ·sᵢ·Bᵢ·Aᵢ = [c₁s₁B₁ | … ]·[A₁; …]:
 * exact by concatenating the scaled factors (rank Σrᵢ), and below that rank truncated optimally from the factors
 * ({@link StackedFactors}). Any other merge is run as usual into a float32 checkpoint beside the output, and its
 * difference from the base is factorised by {@link LoraExtractor} (randomised SVD); the checkpoint is deleted.
 */
public final class MergedAdapterExport implements AdapterExport {
    static final long SEED = 0x5EED_1077L;

    @Override
    public Result export(Request request) {
        long start = System.nanoTime();
        MergePlan plan = request.plan();
        List<String> warnings = new ArrayList<>(plan.warnings());
        String notExact = whyNotExact(plan);
        if (notExact == null) {
            return exact(request, warnings, start);
        }
        warnings.add("--as-adapter: " + notExact + ", so the merged model is computed densely and rank "
                + rankFor(request) + " factors are extracted from it by randomised SVD (errors below)");
        return extracted(request, warnings, start);
    }

    /** Null when the merge can be written exactly from the adapters' factors, else the reason it cannot. */
    private static String whyNotExact(MergePlan plan) {
        Boolean fanInFanOut = null;
        for (DeltaSource s : plan.contributors()) {
            if (s instanceof ZeroDelta) {
                continue;
            }
            if (!(s instanceof AdapterDelta a) || !a.onBase()) {
                return "model " + s.id() + " is not a LoRA adapter on the base";
            }
            boolean f = a.adapter().config().fanInFanOut();
            if (fanInFanOut != null && fanInFanOut != f) {
                return "the adapters disagree on fan_in_fan_out";
            }
            fanInFanOut = f;
        }
        for (String t : plan.base().tensorNames()) {
            if (touched(plan, t) && coefficients(plan, t) == null) {
                return plan.method().name() + " is not a linear combination of the deltas (tensor " + t + ")";
            }
        }
        return null;
    }

    private static boolean touched(MergePlan plan, String tensor) {
        return adapters(plan).stream().anyMatch(a -> a.modules().containsKey(tensor)
                || a.savedTensors().containsKey(tensor));
    }

    private static List<LoraAdapter> adapters(MergePlan plan) {
        return plan.contributors().stream().filter(AdapterDelta.class::isInstance)
                .map(s -> ((AdapterDelta) s).adapter()).toList();
    }

    private static double[] coefficients(MergePlan plan, String tensor) {
        TensorParameters params = plan.parameters().resolve(tensor, plan.layers().t(tensor));
        return plan.method().linearCoefficients(new TensorContext(tensor, plan.base().info(tensor).shape(),
                plan.contributorIds(), params, params.seed(plan.seed()), w -> {}));
    }

    private Result exact(Request request, List<String> warnings, long start) {
        MergePlan plan = request.plan();
        Checkpoint base = plan.base();
        List<AdapterOutput.Module> modules = new ArrayList<>();
        List<AdapterOutput.Saved> saved = new ArrayList<>();
        List<ModuleFit> fits = new ArrayList<>();
        boolean truncated = false;
        boolean fanInFanOut = adapters(plan).stream().anyMatch(a -> a.config().fanInFanOut());
        List<String> touched = base.tensorNames().stream().filter(t -> touched(plan, t)).toList();
        if (request.rank() != null) {
            touched.stream().filter(t -> base.info(t).rank() == 2)
                    .forEach(t -> LoraExtractor.checkRank(request.rank(), base.info(t)));
        }
        request.progress().started(touched.size(), touched.size());
        for (String t : touched) {
            double[] c = coefficients(plan, t);
            if (adapters(plan).stream().anyMatch(a -> a.savedTensors().containsKey(t))) {
                TensorInfo info = base.info(t);
                saved.add(new AdapterOutput.Saved(t, info.shape(), plan.config().outputDtype(info.dtype()),
                        linearValues(plan, t, c)));
            } else {
                Stacked s = stack(plan, t, c);
                LowRankFactors f = request.rank() == null || request.rank() >= s.b.numCols
                        ? new LowRankFactors(s.b, s.a, 0, new double[0])
                        : StackedFactors.truncate(s.b, s.a, request.rank());
                truncated |= f.rank() < s.b.numCols;
                String module = t.substring(0, t.length() - ".weight".length());
                modules.add(new AdapterOutput.Module(module, s.embedding, f));
                fits.add(new ModuleFit(module, f.rank(), f.relativeError()));
            }
            request.progress().tensorDone(t, modules.size() + saved.size(), modules.size() + saved.size());
        }
        long bytes = AdapterOutput.write(request.output(), base, modules, saved, fanInFanOut, factorDtype(plan),
                "fedmerge merge " + plan.method().name());
        int rank = modules.stream().mapToInt(m -> m.factors().rank()).max().orElse(0);
        return new Result(request.output(), truncated ? "truncated" : "concatenated", rank, bytes, seconds(start),
                fits, warnings);
    }

    private record Stacked(DMatrixRMaj b, DMatrixRMaj a, boolean embedding) {}

    /** B = [c₁s₁B₁ | c₂s₂B₂ | …] [out, Σr], A = [A₁; A₂; …] [Σr, in], in PEFT's orientation. */
    private static Stacked stack(MergePlan plan, String tensor, double[] c) {
        List<LoraModule> parts = new ArrayList<>();
        List<LoraAdapter> owners = new ArrayList<>();
        List<Double> factors = new ArrayList<>();
        for (int i = 0; i < plan.contributors().size(); i++) {
            if (plan.contributors().get(i) instanceof AdapterDelta d && d.adapter().modules().containsKey(tensor)) {
                LoraModule m = d.adapter().modules().get(tensor);
                parts.add(m);
                owners.add(d.adapter());
                factors.add(c[i] * m.scale());
            }
        }
        int out = (int) parts.getFirst().b().dim(0);
        int in = (int) parts.getFirst().a().dim(1);
        int k = parts.stream().mapToInt(LoraModule::rank).sum();
        DMatrixRMaj b = new DMatrixRMaj(out, k);
        DMatrixRMaj a = new DMatrixRMaj(k, in);
        int offset = 0;
        for (int p = 0; p < parts.size(); p++) {
            LoraModule m = parts.get(p);
            int r = m.rank();
            float[] bf = new float[out * r];
            float[] af = new float[r * in];
            owners.get(p).read(m.b(), 0, bf.length, bf);
            owners.get(p).read(m.a(), 0, af.length, af);
            double scale = factors.get(p);
            for (int row = 0; row < out; row++) {
                for (int j = 0; j < r; j++) {
                    b.set(row, offset + j, scale * bf[row * r + j]);
                }
            }
            System.arraycopy(toDouble(af), 0, a.data, offset * in, af.length);
            offset += r;
        }
        return new Stacked(b, a, parts.getFirst().embedding());
    }

    /** θ₀ + Σ cᵢΔᵢ for a tensor saved whole, from the contributors' own delta sources, slice by slice. */
    private static AdapterOutput.Values linearValues(MergePlan plan, String tensor, double[] c) {
        return (first, count, dst) -> {
            float[] base = new float[count];
            float[] delta = new float[count];
            plan.base().readFloats(tensor, first, count, base);
            double[] acc = new double[count];
            try (Arena arena = Arena.ofConfined()) {
                for (int i = 0; i < plan.contributors().size(); i++) {
                    plan.contributors().get(i).map(tensor, first, count, arena).read(0, count, base, delta);
                    for (int j = 0; j < count; j++) {
                        acc[j] += c[i] * delta[j];
                    }
                }
            }
            for (int j = 0; j < count; j++) {
                dst[j] = (float) (base[j] + acc[j]);
            }
        };
    }

    private Result extracted(Request request, List<String> warnings, long start) {
        MergePlan plan = request.plan();
        Path output = request.output().toAbsolutePath().normalize();
        CheckpointWriter.checkTargetUsable(output);
        int rank = rankFor(request);
        for (String t : plan.base().tensorNames()) {
            if (LoraExtractor.lowRankable(plan.base().info(t))) {
                LoraExtractor.checkRank(rank, plan.base().info(t));
            }
        }
        Path dense = output.resolveSibling("." + output.getFileName() + ".dense-" + Long.toHexString(System.nanoTime()));
        List<TensorSpec> f32 = plan.outputs().stream().map(t -> new TensorSpec(t.name(), DType.F32, t.shape()))
                .toList();
        MergePlan densePlan = new MergePlan(plan.config(), plan.method(), plan.base(), plan.contributors(),
                plan.parameters(), plan.layers(), plan.attention(), f32, plan.seed(), List.of());
        try {
            // densePlan shares the base and the sources with the caller's plan, which closes them: not closed here
            new MergeExecutor(request.threads(), CheckpointWriter.DEFAULT_SHARD_BYTES, request.sliceElements())
                    .execute(densePlan, dense, request.progress());
            try (Checkpoint merged = Checkpoint.open(dense)) {
                LoraExtractor.Result r = new LoraExtractor(new RandomizedSvd(SEED), factorDtype(plan),
                        plan.config()::outputDtype)
                        .extract(plan.base(), merged, rank, output, request.progress());
                warnings.addAll(r.warnings());
                r.saved().forEach(t -> warnings.add("--as-adapter: tensor " + t + " changed and cannot be a LoRA"
                        + " factor; it is saved whole (modules_to_save)"));
                return new Result(output, "extracted", r.rank(), r.bytes(), seconds(start), r.modules(), warnings);
            }
        } finally {
            FileTrees.deleteRecursively(dense);
        }
    }

    private static int rankFor(Request request) {
        if (request.rank() != null) {
            return request.rank();
        }
        return adapters(request.plan()).stream().flatMap(a -> a.modules().values().stream())
                .mapToInt(LoraModule::rank).max().orElseThrow(() -> new FedmergeException("--as-adapter of a merge"
                        + " without adapter inputs needs --rank R (the rank of the extracted adapter)"));
    }

    /** Factors are written in float32 unless the config asks for another out_dtype. */
    private static DType factorDtype(MergePlan plan) {
        return plan.config().outDtype() != null ? plan.config().outDtype() : DType.F32;
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
