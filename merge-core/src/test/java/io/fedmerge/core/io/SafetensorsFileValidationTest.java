package io.fedmerge.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every structural problem of a safetensors file is refused with a message naming the file and the problem. */
class SafetensorsFileValidationTest {
    @TempDir
    Path dir;

    private static final String GOOD_ENTRY = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    private void assertRefused(Path file, String... fragments) {
        assertThatThrownBy(() -> SafetensorsFile.open(file))
                .isInstanceOf(InvalidSafetensorsException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContainingAll(fragments);
    }

    @Test
    void acceptsAWellFormedFile() throws Exception {
        Path f = RawSafetensors.write(dir.resolve("ok.safetensors"), "{" + GOOD_ENTRY + "}", 8);
        try (SafetensorsFile file = SafetensorsFile.open(f)) {
            assertThat(file.tensors()).hasSize(1);
            assertThat(file.tensor("a").shape()).containsExactly(2);
        }
    }

    @Test
    void refusesAFileShorterThanTheLengthPrefix() throws Exception {
        Path f = Files.write(dir.resolve("t.safetensors"), new byte[] {1, 2, 3});
        assertRefused(f, "truncated", "3 bytes");
    }

    @Test
    void refusesAHeaderLengthBeyondTheFile() throws Exception {
        Path f = RawSafetensors.writeWithDeclaredLength(dir.resolve("t.safetensors"), 500, "{}".getBytes());
        assertRefused(f, "header length 500", "beyond the end");
    }

    @Test
    void refusesAHeaderLargerThanTheCap() throws Exception {
        Path f = RawSafetensors.writeWithDeclaredLength(dir.resolve("t.safetensors"), 200_000_000L, new byte[16]);
        assertRefused(f, "exceeds the 100000000-byte cap");
    }

    @Test
    void refusesANegativeHeaderLength() throws Exception {
        Path f = RawSafetensors.writeWithDeclaredLength(dir.resolve("t.safetensors"), -1L, new byte[16]);
        assertRefused(f, "header length 18446744073709551615", "cap");
    }

    @Test
    void refusesInvalidJson() throws Exception {
        Path f = RawSafetensors.write(dir.resolve("t.safetensors"), "{\"a\": [", 0);
        assertRefused(f, "not valid JSON");
    }

    @Test
    void refusesAHeaderThatIsNotAnObject() throws Exception {
        Path f = RawSafetensors.write(dir.resolve("t.safetensors"), "[1,2]", 0);
        assertRefused(f, "not a JSON object");
    }

    @Test
    void refusesNonUtf8Header() throws Exception {
        byte[] header = "{\"\u00e9\":1}".getBytes(StandardCharsets.ISO_8859_1);
        Path f = RawSafetensors.write(dir.resolve("t.safetensors"), header, 0);
        assertRefused(f, "not valid UTF-8");
    }

    @Test
    void refusesAnUnknownDtype() throws Exception {
        Path f = RawSafetensors.write(dir.resolve("t.safetensors"),
                "{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        assertRefused(f, "tensor 'a'", "unsupported dtype 'Q4'");
    }

    @Test
    void refusesOffsetsBeyondTheData() throws Exception {
        Path f = RawSafetensors.write(dir.resolve("t.safetensors"), "{" + GOOD_ENTRY + "}", 4);
        assertRefused(f, "tensor 'a' ends at data offset 8", "only 4 bytes");
    }

    @Test
    void refusesOverlappingTensors() throws Exception {
        Path f = RawSafetensors.write(dir.resolve("t.safetensors"), "{" + GOOD_ENTRY
                + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        assertRefused(f, "tensor 'b'", "overlap tensor 'a'");
    }

    @Test
    void refusesOffsetsThatDoNotMatchShapeAndDtype() throws Exception {
        Path f = RawSafetensors.write(dir.resolve("t.safetensors"),
                "{\"a\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        assertRefused(f, "span 8 bytes", "[3] x BF16 needs 6");
    }

    @Test
    void refusesDuplicateTensorNames() throws Exception {
        Path f = RawSafetensors.write(dir.resolve("t.safetensors"), "{" + GOOD_ENTRY + "," + GOOD_ENTRY + "}", 8);
        assertRefused(f, "duplicate tensor name", "a");
    }

    @Test
    void refusesTrailingBytes() throws Exception {
        Path f = RawSafetensors.write(dir.resolve("t.safetensors"), "{" + GOOD_ENTRY + "}", 12);
        assertRefused(f, "4 trailing bytes");
    }

    @Test
    void refusesAGapBetweenTensors() throws Exception {
        Path f = RawSafetensors.write(dir.resolve("t.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        assertRefused(f, "gap of 4 unused bytes");
    }

    @Test
    void refusesUnknownKeysInATensorEntry() throws Exception {
        Path f = RawSafetensors.write(dir.resolve("t.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 8);
        assertRefused(f, "unknown key 'x'");
    }

    @Test
    void refusesNegativeDimensions() throws Exception {
        Path f = RawSafetensors.write(dir.resolve("t.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8);
        assertRefused(f, "shape[0]", "non-negative integer");
    }

    @Test
    void refusesAMissingFile() {
        assertRefused(dir.resolve("absent.safetensors"), "does not exist");
    }
}
