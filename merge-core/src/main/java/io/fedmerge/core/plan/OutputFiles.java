package io.fedmerge.core.plan;

import java.util.Set;

/**
 * Which files besides the weights a merge writes, as mergekit's {@code --copy-tokenizer} and
 * {@code --write-model-card} choose.
 *
 * @param tokenizer copy the layout model's tokenizer files
 * @param modelCard write a README.md model card (instead of the layout model's own)
 */
public record OutputFiles(boolean tokenizer, boolean modelCard) {
    /** The library's default: the tokenizer, no card (the CLI turns the card on, as mergekit does). */
    public static final OutputFiles DEFAULT = new OutputFiles(true, false);

    private static final Set<String> TOKENIZER_FILES = Set.of("tokenizer.json", "tokenizer.model",
            "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "vocab.json", "vocab.txt",
            "merges.txt", "chat_template.jinja", "chat_template.json");

    /** A file Hugging Face tokenizers read. */
    public static boolean isTokenizerFile(String name) {
        return TOKENIZER_FILES.contains(name);
    }
}
