package io.fedmerge.eval.data;

import io.fedmerge.core.FedmergeException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A JSON-lines question file: every non-blank line an item of one layout; a bad line is an error naming it. */
public final class McqDataset {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private McqDataset() {}

    /**
     * @param format the layout, or null to detect it from the first line
     * @param limit at most this many items (0 = all)
     */
    public static List<McqItem> read(Path file, McqFormat format, int limit) {
        List<McqItem> items = new ArrayList<>();
        McqFormat layout = format;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null && (limit <= 0 || items.size() < limit)) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    JsonNode o = JSON.readTree(line);
                    if (!o.isObject()) {
                        throw new BadItemException("a line must be one JSON object");
                    }
                    layout = layout != null ? layout : McqFormat.detect(o);
                    items.add(layout.read(o, "line-" + number));
                } catch (JacksonException e) {
                    throw new FedmergeException(file + " line " + number + ": not valid JSON ("
                            + e.getOriginalMessage() + ")");
                } catch (BadItemException e) {
                    throw new FedmergeException(file + " line " + number + (layout == null ? "" : " (" + layout
                            .name().toLowerCase(Locale.ROOT) + ")") + ": " + e.getMessage());
                }
            }
        } catch (NoSuchFileException e) {
            throw new FedmergeException("no question file " + file);
        } catch (IOException e) {
            throw new FedmergeException("cannot read " + file + ": " + e.getMessage());
        }
        if (items.isEmpty()) {
            throw new FedmergeException(file + " holds no questions (one JSON object a line is expected)");
        }
        return items;
    }
}
