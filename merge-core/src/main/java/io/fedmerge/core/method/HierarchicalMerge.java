package io.fedmerge.core.method;

import io.fedmerge.core.align.AttentionLayout;
import io.fedmerge.core.align.HeadAligner;
import io.fedmerge.core.align.HeadPermutation;
import io.fedmerge.core.align.RowMatrix;
import io.fedmerge.core.config.ConfigException;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The paper's Hierarchical Cosine-OT-LERP (MERGE_METHODS §5.8): optional GQA-aware head alignment of each
 * contributor to the base (H-2), then per unit — one tensor, or one transformer block — a weight
 * w = max(min_weight, mean pairwise cosine of the aligned task vectors) and out = θ₀ + λ·w·Σαᵢ Δ̃ᵢ / Σαᵢ (H-1).
 * Conflicting deltas (w = 0) make the unit revert to the base; every unit's cosine and weight is reported.
 */
public final class HierarchicalMerge implements MergeMethod {
    private static final Pattern BLOCK = Pattern.compile("^(.*?layers\\.\\d+\\.)");
    private static final Pattern ATTENTION = Pattern.compile("^(.*layers\\.\\d+\\.self_attn\\.)q_proj\\.weight$");
    private static final List<ParameterSpec> PARAMETERS = List.of(
            ParameterSpec.number("weight", ParameterSpec.Scope.PER_MODEL, 1.0, Double::isFinite, "a finite number"),
            ParameterSpec.choice("granularity", "tensor", "tensor", "block"),
            ParameterSpec.number("min_weight", ParameterSpec.Scope.GLOBAL, 0.0, v -> v >= 0 && v <= 1,
                    "0 <= min_weight <= 1"),
            ParameterSpec.LAMBDA,
            ParameterSpec.flag("normalize", true),
            ParameterSpec.flag("ot", true),
            ParameterSpec.number("ot_min_rel_gain", ParameterSpec.Scope.GLOBAL, 1e-6, v -> v >= 0 && v < 1,
                    "0 <= ot_min_rel_gain < 1"));

    @Override
    public String name() {
        return "hierarchical_cosine_ot_lerp";
    }

    @Override
    public List<ParameterSpec> parameters() {
        return PARAMETERS;
    }

    @Override
    public void validate(TensorContext context) {
        TensorParameters p = context.params();
        double sum = 0;
        for (double a : p.perModel("weight")) {
            sum += a;
        }
        if (p.flag("normalize") && Math.abs(sum) < 1e-8) {
            throw new ConfigException(name() + ": the weights sum to " + sum + " (tensor " + context.tensorName()
                    + "); normalising would divide by zero. Change the weights or set normalize: false");
        }
        if (p.flag("ot") && context.attention() == null) {
            throw new ConfigException(name() + " with ot: true needs num_attention_heads (and num_key_value_heads"
                    + " for grouped-query attention) in the base model's config.json to find the heads; add them,"
                    + " or set ot: false");
        }
    }

    /** What the preparation found: per-unit weights (block granularity) and who was permuted where. */
    record Preparation(Map<String, Double> unitWeights, Map<String, List<String>> permutedByTensor) {}

    @Override
    public TensorMerges prepare(ModelView view) {
        String any = view.tensorNames().getFirst();
        TensorParameters p = view.parameters(any);
        Map<String, List<String>> permuted = new HashMap<>();
        if (p.flag("ot")) {
            align(view, p.number("ot_min_rel_gain"), permuted);
        }
        Map<String, Double> weights = new HashMap<>();
        if (p.string("granularity").equals("block")) {
            blockWeights(view, permuted, weights);
        }
        Preparation prep = new Preparation(weights, permuted);
        return context -> forTensor(context, prep);
    }

    static String unitOf(String tensor) {
        Matcher m = BLOCK.matcher(tensor);
        return m.find() ? m.group(1) : tensor;
    }

    private static void align(ModelView view, double minRelGain, Map<String, List<String>> permuted) {
        AttentionLayout layout = view.attention();
        HeadAligner aligner = new HeadAligner(layout);
        boolean warned = false;
        for (String name : view.tensorNames()) {
            Matcher m = ATTENTION.matcher(name);
            if (!m.matches()) {
                continue;
            }
            String prefix = m.group(1);
            if (!alignable(view, prefix, layout)) {
                if (!warned) {
                    view.warnings().accept("head alignment skipped for " + prefix + " (and any other such layer):"
                            + " expected separate q/k/v/o projections with shapes q [H*d_h, hidden], k/v"
                            + " [H_kv*d_h, hidden], o [hidden, H*d_h] for H=" + layout.heads() + ", H_kv="
                            + layout.kvHeads() + ", d_h=" + layout.headDim());
                    warned = true;
                }
                continue;
            }
            for (int i = 0; i < view.contributorIds().size(); i++) {
                HeadPermutation perm = alignLayer(view, aligner, prefix, i, minRelGain);
                if (!perm.isIdentity()) {
                    apply(view, prefix, i, perm, layout.headDim());
                    for (String t : List.of("q_proj.weight", "k_proj.weight", "v_proj.weight", "o_proj.weight")) {
                        permuted.computeIfAbsent(prefix + t, k -> new ArrayList<>()).add(view.contributorIds().get(i));
                    }
                }
            }
        }
        // A fused layout (qkv_proj, query_key_value, c_attn) has no q_proj at all: say so once.
        if (!warned && view.tensorNames().stream().anyMatch(t -> t.contains("qkv_proj") || t.contains("query_key_value")
                || t.contains("c_attn"))) {
            view.warnings().accept("head alignment skipped: the model uses fused attention projections");
        }
    }

    private static boolean alignable(ModelView view, String prefix, AttentionLayout l) {
        long qRows = (long) l.heads() * l.headDim();
        long kvRows = (long) l.kvHeads() * l.headDim();
        return l.kvHeads() > 0 && l.heads() % l.kvHeads() == 0
                && shapeIs(view, prefix + "q_proj.weight", qRows, l.hidden())
                && shapeIs(view, prefix + "k_proj.weight", kvRows, l.hidden())
                && shapeIs(view, prefix + "v_proj.weight", kvRows, l.hidden())
                && shapeIs(view, prefix + "o_proj.weight", l.hidden(), qRows);
    }

    private static boolean shapeIs(ModelView view, String tensor, long rows, long cols) {
        if (!view.tensorNames().contains(tensor)) {
            return false;
        }
        long[] s = view.shape(tensor);
        return s.length == 2 && s[0] == rows && s[1] == cols;
    }

    private static HeadPermutation alignLayer(ModelView view, HeadAligner aligner, String prefix, int contributor,
            double minRelGain) {
        try (Arena arena = Arena.ofConfined()) {
            HeadAligner.Layer base = layer(view, prefix, arena, -1);
            HeadAligner.Layer model = layer(view, prefix, arena, contributor);
            return aligner.solve(aligner.costs(base, model), minRelGain);
        }
    }

    private static HeadAligner.Layer layer(ModelView view, String prefix, Arena arena, int contributor) {
        return new HeadAligner.Layer(rows(view, prefix + "q_proj.weight", arena, contributor),
                rows(view, prefix + "k_proj.weight", arena, contributor),
                rows(view, prefix + "v_proj.weight", arena, contributor),
                rows(view, prefix + "o_proj.weight", arena, contributor),
                biasRow(view, prefix + "q_proj.bias", arena, contributor),
                biasRow(view, prefix + "k_proj.bias", arena, contributor),
                biasRow(view, prefix + "v_proj.bias", arena, contributor));
    }

    private static RowMatrix rows(ModelView view, String tensor, Arena arena, int contributor) {
        return contributor < 0 ? view.baseRows(tensor, arena) : view.modelRows(contributor, tensor, arena);
    }

    /** A bias read as a 1×n matrix, so the column-block cost applies to its head blocks. */
    private static RowMatrix biasRow(ModelView view, String tensor, Arena arena, int contributor) {
        return view.tensorNames().contains(tensor) ? rows(view, tensor, arena, contributor) : null;
    }

    private static void apply(ModelView view, String prefix, int i, HeadPermutation perm, int headDim) {
        TensorPermutation queries = new TensorPermutation(false, headDim, perm.queryHeads());
        TensorPermutation kv = new TensorPermutation(false, headDim, perm.kvHeads());
        view.permute(i, prefix + "q_proj.weight", queries);
        view.permute(i, prefix + "k_proj.weight", kv);
        view.permute(i, prefix + "v_proj.weight", kv);
        view.permute(i, prefix + "o_proj.weight", new TensorPermutation(true, headDim, perm.queryHeads()));
        for (String bias : List.of("q_proj.bias", "k_proj.bias", "v_proj.bias")) {
            if (view.tensorNames().contains(prefix + bias)) {
                view.permute(i, prefix + bias, bias.startsWith("q") ? queries : kv);
            }
        }
    }

    private static void blockWeights(ModelView view, Map<String, List<String>> permuted, Map<String, Double> out) {
        Map<String, List<String>> units = new LinkedHashMap<>();
        for (String t : view.tensorNames()) {
            units.computeIfAbsent(unitOf(t), u -> new ArrayList<>()).add(t);
        }
        int k = view.contributorIds().size();
        for (Map.Entry<String, List<String>> unit : units.entrySet()) {
            CosineStats total = new CosineStats(k);
            List<String> sorted = unit.getValue().stream().sorted().toList();
            for (String tensor : sorted) {
                view.accumulate(tensor, s -> new CosineStats(k)).forEach(total::add);
            }
            TensorParameters p = view.parameters(sorted.getFirst());
            double cosine = total.meanCosine();
            double w = Math.max(p.number("min_weight"), cosine);
            out.put(unit.getKey(), w);
            List<String> moved = sorted.stream().flatMap(t -> permuted.getOrDefault(t, List.of()).stream())
                    .distinct().toList();
            view.report().accept(new UnitReport(unit.getKey(), cosine, w, moved));
        }
    }

    /** Without a preparation each tensor is its own unit and nothing was permuted. */
    @Override
    public TensorMerge forTensor(TensorContext context) {
        return forTensor(context, null);
    }

    private static TensorMerge forTensor(TensorContext context, Preparation prep) {
        Double unitWeight = prep == null ? null : prep.unitWeights().get(unitOf(context.tensorName()));
        List<String> moved = prep == null ? List.of()
                : prep.permutedByTensor().getOrDefault(context.tensorName(), List.of());
        return new HierarchicalTensorMerge(context, unitWeight, moved);
    }
}
