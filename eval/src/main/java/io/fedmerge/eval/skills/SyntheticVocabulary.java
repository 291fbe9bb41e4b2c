package io.fedmerge.eval.skills;

import io.fedmerge.core.FedmergeException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A SentencePiece-BPE {@code tokenizer.json} for the generated models, in the layout Mistral's has: {@code <unk>},
 * {@code <s>}, {@code </s>}, the 256 byte-fallback tokens, the printable ASCII characters, and each word the
 * synthetic questions use, built by merges from "▁" plus its letters — so the questions tokenise into whole words
 * and any other text into characters and bytes.
 */
final class SyntheticVocabulary {
    static final String SPACE = "\u2581";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Map<String, Integer> vocab = new LinkedHashMap<>();
    private final Set<String> merges = new LinkedHashSet<>();

    SyntheticVocabulary(List<String> words) {
        add("<unk>");
        add("<s>");
        add("</s>");
        for (int b = 0; b < 256; b++) {
            add(String.format("<0x%02X>", b));
        }
        add(SPACE);
        for (char c = '!'; c <= '~'; c++) {
            add(String.valueOf(c));
        }
        for (String w : words) {
            String piece = SPACE;
            for (int i = 0; i < w.length(); i++) {
                String next = piece + w.charAt(i);
                merges.add(piece + " " + w.charAt(i));
                add(next);
                piece = next;
            }
        }
    }

    private void add(String piece) {
        vocab.putIfAbsent(piece, vocab.size());
    }

    int size() {
        return vocab.size();
    }

    /** The tokenizer.json text; refuses a model whose embeddings have fewer rows than the vocabulary needs. */
    String json(int modelVocab) {
        if (vocab.size() > modelVocab) {
            throw new FedmergeException("the synthetic questions need a vocabulary of " + vocab.size()
                    + " tokens but the model has " + modelVocab + " rows: generate with --vocab "
                    + Integer.highestOneBit(vocab.size() * 2 - 1));
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        for (String special : List.of("<unk>", "<s>", "</s>")) {
            added.addObject().put("id", vocab.get(special)).put("content", special).put("special", true);
        }
        ObjectNode normalizer = root.putObject("normalizer");
        normalizer.put("type", "Sequence");
        ArrayNode steps = normalizer.putArray("normalizers");
        steps.addObject().put("type", "Prepend").put("prepend", SPACE);
        steps.addObject().put("type", "Replace").putObject("pattern").put("String", " ");
        ((ObjectNode) steps.get(1)).put("content", SPACE);
        root.putNull("pre_tokenizer");
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.put("unk_token", "<unk>");
        model.put("byte_fallback", true);
        model.put("fuse_unk", true);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        ArrayNode m = model.putArray("merges");
        new ArrayList<>(merges).forEach(m::add);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    }
}
