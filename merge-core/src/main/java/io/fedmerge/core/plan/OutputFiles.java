package io.fedmerge.core.plan;

import java.util.Set;

/**
 * Which files besides the weights a merge writes, as mergekit's {@code --copy-tokenizer} and
 * {@code --write-model-card} choose.
 *
 * @param tokenizer copy the layout model's tokenizer files
 * @param modelCard write a README.md model card (instead of the layout model's own)
 * @param cardSection markdown appended to the card (the hub's federated provenance), or empty
 */
public record OutputFiles(boolean tokenizer, boolean modelCard, String cardSection) {
    /** The library's default: the tokenizer, no card (the CLI turns the card on, as mergekit does). */
    public static final OutputFiles DEFAULT = new OutputFiles(true, false, "");

    public OutputFiles(boolean tokenizer, boolean modelCard) {
        this(tokenizer, modelCard, "");
    }

    private static final Set<String> TOKENIZER_FILES = Set.of("tokenizer.json", "tokenizer.model",
            "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "vocab.json", "vocab.txt",
            "merges.txt", "chat_template.jinja", "chat_template.json");

    /** A file Hugging Face tokenizers read. */
    public static boolean isTokenizerFile(String name) {
        return TOKENIZER_FILES.contains(name);
    }
}
