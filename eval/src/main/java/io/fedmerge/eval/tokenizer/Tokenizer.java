package io.fedmerge.eval.tokenizer;

import io.fedmerge.core.FedmergeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Hugging Face {@code tokenizer.json} of the SentencePiece-BPE kind Llama 2 and Mistral ship: spaces become
 * {@code ▁} and one is prepended (by the normalizer, or a Metaspace pre-tokenizer), then merges are applied by rank
 * to the text's characters, and a character the vocabulary lacks becomes its UTF-8 bytes as {@code <0xXX>} tokens
 * (byte fallback), so any text tokenises. Byte-level BPE (GPT-2, Llama 3, Qwen) is refused with a clear message.
 * Written here because no maintained Java library reads tokenizer.json without a native runtime.
 */
public final class Tokenizer {
    static final String SPACE = "\u2581";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Map<String, Integer> vocab;
    private final String[] pieces;
    private final Map<String, Integer> mergeRanks;
    private final boolean byteFallback;
    private final int unk;
    private final int[] byteTokens = new int[256];

    private Tokenizer(Map<String, Integer> vocab, Map<String, Integer> mergeRanks, boolean byteFallback, int unk) {
        this.vocab = vocab;
        this.mergeRanks = mergeRanks;
        this.byteFallback = byteFallback;
        this.unk = unk;
        int size = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        this.pieces = new String[size];
        vocab.forEach((piece, id) -> pieces[id] = piece);
        for (int b = 0; b < 256; b++) {
            byteTokens[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
        }
    }

    /** Reads {@code tokenizer.json}, refusing what this tokenizer does not implement with what it found. */
    public static Tokenizer load(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new FedmergeException("no " + file.getFileName() + " in " + file.getParent() + ": the model needs its"
                    + " Hugging Face tokenizer.json to be evaluated (copy it from the base model)");
        } catch (JacksonException e) {
            throw new FedmergeException(file + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new FedmergeException("cannot read " + file + ": " + e.getMessage());
        }
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asString(""))) {
            throw new FedmergeException(file + ": tokenizer model '" + model.path("type").asString("?")
                    + "' is not supported; only SentencePiece-style BPE (Llama 2, Mistral) is");
        }
        if (mentionsByteLevel(root.path("pre_tokenizer")) || mentionsByteLevel(root.path("decoder"))) {
            throw new FedmergeException(file + ": byte-level BPE (GPT-2, Llama 3, Qwen) is not supported; only"
                    + " SentencePiece-style BPE with byte fallback (Llama 2, Mistral) is");
        }
        Map<String, Integer> vocab = new HashMap<>();
        for (Map.Entry<String, JsonNode> e : model.path("vocab").properties()) {
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        for (JsonNode added : root.path("added_tokens")) {
            vocab.putIfAbsent(added.path("content").asString(), added.path("id").asInt());
        }
        if (vocab.isEmpty()) {
            throw new FedmergeException(file + ": the BPE model has no vocabulary");
        }
        Map<String, Integer> ranks = new HashMap<>();
        int rank = 0;
        for (JsonNode m : model.path("merges")) {
            String pair = m.isArray() ? m.get(0).asString() + " " + m.get(1).asString() : m.asString();
            ranks.putIfAbsent(pair, rank++);
        }
        String unkToken = model.path("unk_token").asString("<unk>");
        return new Tokenizer(vocab, ranks, model.path("byte_fallback").asBoolean(false),
                vocab.getOrDefault(unkToken, -1));
    }

    private static boolean mentionsByteLevel(JsonNode node) {
        return node.toString().contains("\"ByteLevel\"");
    }

    /** Token ids of {@code text}: ▁ for spaces, one ▁ prepended, merges by rank, byte fallback. */
    public int[] encode(String text) {
        if (text.isEmpty()) {
            return new int[0];
        }
        List<String> symbols = new ArrayList<>();
        String normalized = SPACE + text.replace(" ", SPACE);
        normalized.codePoints().forEach(cp -> symbols.add(new String(Character.toChars(cp))));
        merge(symbols);
        List<Integer> ids = new ArrayList<>();
        for (String s : symbols) {
            Integer id = vocab.get(s);
            if (id != null) {
                ids.add(id);
            } else {
                fallback(s, ids);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Repeatedly joins the adjacent pair of lowest merge rank (leftmost on ties), as BPE does. */
    private void merge(List<String> symbols) {
        while (symbols.size() > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer r = mergeRanks.get(symbols.get(i) + " " + symbols.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) {
                return;
            }
            symbols.set(best, symbols.get(best) + symbols.remove(best + 1));
        }
    }

    private void fallback(String symbol, List<Integer> ids) {
        if (byteFallback) {
            for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
                int id = byteTokens[b & 0xFF];
                if (id < 0) {
                    throw new FedmergeException("the tokenizer has byte fallback but no token <0x"
                            + String.format("%02X", b & 0xFF) + ">");
                }
                ids.add(id);
            }
            return;
        }
        if (unk < 0) {
            throw new FedmergeException("'" + symbol + "' is not in the vocabulary and the tokenizer has neither byte"
                    + " fallback nor an unknown token");
        }
        ids.add(unk);
    }

    /** The token's piece as the vocabulary spells it (▁ for a space), or null for an unused id. */
    public String piece(int id) {
        return id >= 0 && id < pieces.length ? pieces[id] : null;
    }

    /** One more than the largest token id. */
    public int size() {
        return pieces.length;
    }

    /** The id of a piece, or -1. */
    public int id(String piece) {
        return vocab.getOrDefault(piece, -1);
    }
}
