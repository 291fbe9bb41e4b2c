package io.fedmerge.eval.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A small Mistral-style tokenizer.json whose encodings are worked out by hand in {@code TokenizerTest}. */
public final class SmallTokenizer {
    private SmallTokenizer() {}

    /** ids: <unk>0 <s>1 </s>2, <0x00>..<0xFF> 3..258, ▁259 a260 b261 c262 ▁a263 ab264 ▁ab265 ▁abc266 :267 */
    public static Path write(Path dir, String extra) throws IOException {
        StringBuilder vocab = new StringBuilder("\"<unk>\":0,\"<s>\":1,\"</s>\":2");
        for (int b = 0; b < 256; b++) {
            vocab.append(String.format(",\"<0x%02X>\":%d", b, 3 + b));
        }
        vocab.append(",\"▁\":259,\"a\":260,\"b\":261,\"c\":262,\"▁a\":263,\"ab\":264,\"▁ab\":265,\"▁abc\":266,\":\":267");
        String json = """
                {"version":"1.0","added_tokens":[{"id":1,"content":"<s>","special":true}],
                 "normalizer":{"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"▁"},
                   {"type":"Replace","pattern":{"String":" "},"content":"▁"}]},
                 "pre_tokenizer":null,%s
                 "model":{"type":"BPE","unk_token":"<unk>","byte_fallback":true,
                   "vocab":{%s},
                   "merges":["a b","▁ a","▁ ab","▁ab c"]}}
                """.formatted(extra, vocab);
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, json);
        return f;
    }
}
