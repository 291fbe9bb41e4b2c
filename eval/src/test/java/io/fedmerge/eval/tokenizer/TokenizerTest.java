package io.fedmerge.eval.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.core.FedmergeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SentencePiece-BPE as Mistral's tokenizer.json describes it, on a small vocabulary whose answers are worked out by
 * hand: ▁ for spaces and one in front, merges by rank (not by length or order of appearance), byte fallback for what
 * the vocabulary lacks.
 */
class TokenizerTest {
    @TempDir
    Path dir;

    Tokenizer small(String extra) throws IOException {
        return Tokenizer.load(SmallTokenizer.write(dir, extra));
    }

    @Test
    void mergesApplyByRankAndSpacesBecomeTheMetaspace() throws IOException {
        Tokenizer t = small("");
        // "ab": ▁ a b -> rank 0 "a b" first -> ▁ ab -> rank 2 "▁ ab" -> ▁ab
        assertThat(t.encode("ab")).containsExactly(265);
        // "abc": ▁ab c -> ▁abc (rank 3)
        assertThat(t.encode("abc")).containsExactly(266);
        // "a:" -> ▁ a : -> "▁ a" (rank 1) -> ▁a : ; "a b" never applies to "▁a"
        assertThat(t.encode("a:")).containsExactly(263, 267);
        assertThat(t.encode("ab ab")).containsExactly(265, 265);
        assertThat(t.encode("")).isEmpty();
        assertThat(t.piece(266)).isEqualTo("▁abc");
        assertThat(t.id("<s>")).isEqualTo(1);
    }

    @Test
    void whatTheVocabularyLacksFallsBackToItsUtf8Bytes() throws IOException {
        Tokenizer t = small("");
        // "é" is two UTF-8 bytes C3 A9; "z" one; the leading ▁ alone is a token.
        assertThat(t.encode("é")).containsExactly(259, 3 + 0xC3, 3 + 0xA9);
        assertThat(t.encode("az")).containsExactly(263, 3 + 'z');
        int[] emoji = t.encode("\uD83E\uDE7A"); // 🩺, four bytes
        assertThat(Arrays.copyOfRange(emoji, 1, emoji.length)).containsExactly(3 + 0xF0, 3 + 0x9F, 3 + 0xA9,
                3 + 0xBA);
    }

    @Test
    void byteLevelTokenizersAndBrokenFilesAreRefusedSayingWhat() throws IOException {
        assertThatThrownBy(() -> small("\"decoder\":{\"type\":\"ByteLevel\"},")).isInstanceOf(FedmergeException.class)
                .hasMessageContaining("byte-level BPE (GPT-2, Llama 3, Qwen) is not supported");
        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"model\":");
        assertThatThrownBy(() -> Tokenizer.load(bad)).hasMessageContaining("is not valid JSON");
        Path unigram = Files.writeString(dir.resolve("u.json"), "{\"model\":{\"type\":\"Unigram\"}}");
        assertThatThrownBy(() -> Tokenizer.load(unigram)).hasMessageContaining("tokenizer model 'Unigram'");
        assertThatThrownBy(() -> Tokenizer.load(dir.resolve("missing/tokenizer.json")))
                .hasMessageContaining("needs its Hugging Face tokenizer.json");
    }
}
