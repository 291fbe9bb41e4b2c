package io.fedmerge.core.plan;

import io.fedmerge.core.config.MergeConfig;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The README.md a merge writes, in the layout mergekit's cards use (Hugging Face front matter with
 * {@code base_model} and the {@code mergekit}/{@code merge} tags, then method, inputs and the exact config), so hubs
 * and people read a fedmerge merge as they read a mergekit one.
 */
public final class ModelCard {
    public static final String FILE = "README.md";

    private ModelCard() {}

    /** @param contributors the models merged (besides the base), as the config names them */
    public static String of(MergeConfig config, String method, List<String> contributors) {
        String base = config.baseModel();
        Set<String> inputs = new LinkedHashSet<>();
        if (base != null) {
            inputs.add(base);
        }
        inputs.addAll(contributors);
        StringBuilder card = new StringBuilder("---\nbase_model:\n");
        inputs.forEach(m -> card.append("- ").append(yamlString(m)).append('\n'));
        card.append("library_name: transformers\ntags:\n- mergekit\n- merge\n- fedmerge\n---\n");
        card.append("# merged model\n\nA merge of pre-trained language models made with fedmerge, which reads"
                + " mergekit's configs and computes its methods.\n\n## Merge details\n\n### Merge method\n\n");
        card.append("Merged with **").append(method).append("**");
        card.append(base != null ? ", with " + code(base) + " as the base.\n" : "; no base model (the first model"
                + " gives the layout).\n");
        card.append("\n### Models merged\n\n");
        contributors.forEach(c -> card.append("* ").append(code(c)).append('\n'));
        card.append("\n### Configuration\n\nThe YAML configuration that produced this model:\n\n```yaml\n")
                .append(config.source().strip()).append("\n```\n");
        return card.toString();
    }

    private static String code(String s) {
        return "`" + s.replace("`", "'") + "`";
    }

    /** A YAML double-quoted scalar: model names are paths and may hold anything. */
    private static String yamlString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
