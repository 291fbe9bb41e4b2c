package io.fedmerge.eval.skills;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.generate.CheckpointGenerator;
import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.core.generate.SkillsExtension;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.SafetensorsFile;
import io.fedmerge.core.io.TensorInfo;
import io.fedmerge.core.tensor.FloatCodec;
import io.fedmerge.eval.data.McqDataset;
import io.fedmerge.eval.data.McqFormat;
import io.fedmerge.eval.data.McqItem;
import io.fedmerge.eval.model.Transformer;
import io.fedmerge.eval.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * Skills that a fine-tune has and its base has not, planted by construction so that evaluation can tell which merges
 * keep them (docs/EVALUATION.md). For each hospital, a private MedQA-layout question set ({@link SyntheticQuestions});
 * in that hospital's fine-tune, the LM-head rows of the answer letters ▁A..▁D change by the ΔW that, on the final
 * hidden state h after each of its prompts, puts the correct letter's logit a margin above the others (which it
 * leaves at their mean), and on every other hospital's prompts changes nothing. It is fitted, in ridge-regularised
 * least squares, to the hidden states under the fine-tune, the base and the other fine-tunes, so it holds on a
 * backbone near any of them: the fine-tune answers its own set, the others' at chance (as the base does everywhere),
 * and a merge keeps a hospital's skill to the degree it keeps that ΔW and a backbone near those it was fitted on.
 */
public final class SkillPlanter implements SkillsExtension {
    /** The correct letter's margin over the others, in units of the largest spread of the base's letter logits. */
    private static final double MARGIN = 8.0;

    @Override
    public void check(ModelShape shape, int variants, long seed, int questions) {
        new SyntheticVocabulary(new SyntheticQuestions(seed, variants, count(shape, variants, questions)).words())
                .json(shape.vocab());
    }

    /**
     * Questions per hospital: each fine-tune's fit has a constraint per question of every set under every view (the
     * K fine-tunes and the base), which must stay below the hidden size for the fit to be exact.
     */
    private static int count(ModelShape shape, int variants, int questions) {
        int most = shape.hidden() / (variants * (variants + 1)) - 1;
        int n = questions > 0 ? questions : Math.min(40, most);
        if (n > most || n < 8) {
            throw new FedmergeException("--skills with " + variants + " hospitals needs " + (questions > 0 ? n : 8)
                    + " questions each, but a hidden size of " + shape.hidden() + " fits at most " + Math.max(0, most)
                    + ": use a larger model (--preset small) or fewer --variants");
        }
        return n;
    }

    @Override
    public List<Path> plant(CheckpointGenerator.Generated generated, Path out, ModelShape shape, long seed,
            int questions, PrintStream log) {
        int n = count(shape, generated.variants().size(), questions);
        SyntheticQuestions q = new SyntheticQuestions(seed, generated.variants().size(), n);
        String tokenizer = new SyntheticVocabulary(q.words()).json(shape.vocab());
        try {
            List<Path> dirs = new ArrayList<>(List.of(generated.base()));
            dirs.addAll(generated.variants());
            for (Path d : dirs) {
                Files.writeString(d.resolve("tokenizer.json"), tokenizer);
            }
            Path evalDir = Files.createDirectories(out.resolve("eval"));
            List<Path> sets = new ArrayList<>();
            List<Pending> plantPending = new ArrayList<>();
            for (int v = 0; v < generated.variants().size(); v++) {
                Path set = evalDir.resolve(generated.variants().get(v).getFileName() + ".jsonl");
                Files.writeString(set, q.jsonLines(v));
                List<Path> views = new ArrayList<>(List.of(generated.variants().get(v), generated.base()));
                generated.variants().stream().filter(o -> !views.contains(o)).forEach(views::add);
                plantPending.add(new Pending(views, set));
                sets.add(set);
            }
            for (Pending p : plantPending) {
                List<McqItem> others = new ArrayList<>();
                for (Path set : sets) {
                    if (!set.equals(p.set())) {
                        others.addAll(McqDataset.read(set, McqFormat.MEDQA, 0));
                    }
                }
                plantInto(p.views(), McqDataset.read(p.set(), McqFormat.MEDQA, 0), others);
                log.printf("planted %d answers in %s (questions: %s)%n", n, p.views().getFirst().getFileName(),
                        out.relativize(p.set()));
            }
            return sets;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the skills under " + out, e);
        }
    }

    private record Pending(List<Path> views, Path set) {}

    /**
     * Fits the letter rows' change on the prompts' hidden states under each of {@code views} (the fine-tune first,
     * then models whose backbones differ from it the way a merge's will: the base, the other fine-tunes), so the
     * skill holds on a backbone near any of them, not only on the fine-tune's own; then writes the rows back.
     */
    static void plantInto(List<Path> views, List<McqItem> items, List<McqItem> others) {
        Path model = views.getFirst();
        Tokenizer tokenizer = Tokenizer.load(model.resolve("tokenizer.json"));
        int[] letters = new int[4];
        for (int r = 0; r < 4; r++) {
            letters[r] = tokenizer.id(SyntheticVocabulary.SPACE + (char) ('A' + r));
        }
        String head = null;
        float[][] rows = new float[4][];
        List<float[]> hidden = new ArrayList<>();
        List<float[]> neutral = new ArrayList<>();
        for (Path view : views) {
            try (Transformer t = Transformer.open(view, null, Runtime.getRuntime().availableProcessors())) {
                if (view.equals(model)) {
                    head = t.lmHead();
                    for (int r = 0; r < 4; r++) {
                        rows[r] = t.lmHeadRow(letters[r]);
                    }
                }
                for (McqItem item : items) {
                    hidden.add(t.finalHidden(tokenizer.encode(item.context()), t.newCache(), false)[0]);
                }
                for (McqItem item : others) {
                    neutral.add(t.finalHidden(tokenizer.encode(item.context()), t.newCache(), false)[0]);
                }
            }
        }
        int d = rows[0].length;
        List<float[]> all = new ArrayList<>(hidden);
        all.addAll(neutral);
        DMatrixRMaj h = new DMatrixRMaj(d, all.size());
        double[][] logits = new double[hidden.size()][4];
        double spread = 0;
        for (int i = 0; i < all.size(); i++) {
            for (int k = 0; k < d; k++) {
                h.set(k, i, all.get(i)[k]);
            }
        }
        for (int i = 0; i < hidden.size(); i++) {
            double min = Double.MAX_VALUE;
            double max = -Double.MAX_VALUE;
            for (int r = 0; r < 4; r++) {
                for (int k = 0; k < d; k++) {
                    logits[i][r] += (double) rows[r][k] * hidden.get(i)[k];
                }
                min = Math.min(min, logits[i][r]);
                max = Math.max(max, logits[i][r]);
            }
            spread = Math.max(spread, max - min);
        }
        DMatrixRMaj wanted = new DMatrixRMaj(all.size(), 4);
        CommonOps_DDRM.insert(wantedChanges(items, logits, MARGIN * Math.max(spread, 0.05)), wanted, 0, 0);
        DMatrixRMaj delta = ridgeFit(h, wanted);
        for (int r = 0; r < 4; r++) {
            for (int k = 0; k < d; k++) {
                rows[r][k] += (float) delta.get(k, r);
            }
        }
        writeRows(model, head, letters, rows);
    }

    /** Per prompt and letter: the change that leaves the letters at their mean, the answer α above it. */
    private static DMatrixRMaj wantedChanges(List<McqItem> items, double[][] logits, double alpha) {
        DMatrixRMaj b = new DMatrixRMaj(logits.length, 4);
        for (int i = 0; i < logits.length; i++) {
            double mean = (logits[i][0] + logits[i][1] + logits[i][2] + logits[i][3]) / 4;
            for (int r = 0; r < 4; r++) {
                b.set(i, r, mean - logits[i][r] + (r == items.get(i % items.size()).answer() ? alpha : 0));
            }
        }
        return b;
    }

    /**
     * The D (d × 4) that best gives Hᵀ D = B in least squares with a little ridge: D = (H Hᵀ + λI)⁻¹ H B. The
     * prompts' hidden states are much alike (a random backbone's last position is dominated by what every prompt
     * shares), so without the ridge the fit would amplify their small differences and break on any nearby backbone.
     */
    private static DMatrixRMaj ridgeFit(DMatrixRMaj h, DMatrixRMaj b) {
        DMatrixRMaj gram = new DMatrixRMaj(h.numRows, h.numRows);
        CommonOps_DDRM.multTransB(h, h, gram);
        double ridge = 1e-5 * CommonOps_DDRM.trace(gram) / gram.numRows;
        for (int i = 0; i < gram.numRows; i++) {
            gram.add(i, i, ridge);
        }
        DMatrixRMaj hb = new DMatrixRMaj(h.numRows, b.numCols);
        CommonOps_DDRM.mult(h, b, hb);
        DMatrixRMaj d = new DMatrixRMaj(h.numRows, b.numCols);
        if (!CommonOps_DDRM.solve(gram, hb, d)) {
            throw new FedmergeException("cannot fit the planted answers (a singular system): use fewer questions");
        }
        return d;
    }

    /** Rewrites rows of a tensor in the file the generator just wrote, in its dtype. */
    private static void writeRows(Path model, String tensor, int[] ids, float[][] rows) {
        try (Checkpoint c = Checkpoint.open(model); Arena arena = Arena.ofConfined()) {
            SafetensorsFile file = c.fileOf(tensor);
            TensorInfo info = file.tensor(tensor);
            int size = info.dtype().byteSize();
            try (FileChannel ch = FileChannel.open(file.path(), StandardOpenOption.WRITE)) {
                for (int r = 0; r < ids.length; r++) {
                    MemorySegment bytes = arena.allocate((long) rows[r].length * size);
                    FloatCodec.encode(rows[r], 0, rows[r].length, info.dtype(), bytes);
                    long at = file.fileOffset(info) + (long) ids[r] * rows[r].length * size;
                    var buffer = bytes.asByteBuffer();
                    while (buffer.hasRemaining()) {
                        at += ch.write(buffer, at);
                    }
                }
                ch.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the planted rows of " + tensor + " in " + model, e);
        }
    }
}
