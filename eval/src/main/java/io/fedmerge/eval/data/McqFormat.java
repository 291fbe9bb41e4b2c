package io.fedmerge.eval.data;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The public medical MCQ sets' line layouts and their prompts, as lm-evaluation-harness's tasks write them
 * (docs/EVALUATION.md shows each template). {@link #read} turns one JSON object into an item or says what is wrong
 * with it; {@link #detect} picks the layout from the first object's fields.
 */
public enum McqFormat {
    /** {@code question}, {@code options} {A: …, B: …}, {@code answer_idx} (a key of options). */
    MEDQA,
    /** {@code question}, {@code opa}–{@code opd}, {@code cop} (the correct option's index, 0–3, as on Hugging Face). */
    MEDMCQA,
    /** {@code question}, {@code context} ({contexts: […]}) or {@code contexts}, {@code final_decision}. */
    PUBMEDQA,
    /** {@code question}, {@code choices} […], {@code answer} (index); {@code subject} when present. */
    MMLU;

    private static final List<String> LETTERS = List.of("A", "B", "C", "D", "E", "F", "G", "H", "I", "J");
    private static final List<String> DECISIONS = List.of("yes", "no", "maybe");

    public static McqFormat parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadItemException("unknown format '" + name + "'; expected auto, medqa, medmcqa, pubmedqa or mmlu");
        }
    }

    /** The layout whose fields the object has. */
    public static McqFormat detect(JsonNode o) {
        if (o.has("options") && o.has("answer_idx")) {
            return MEDQA;
        }
        if (o.has("opa") && o.has("cop")) {
            return MEDMCQA;
        }
        if (o.has("final_decision")) {
            return PUBMEDQA;
        }
        if (o.has("choices") && o.has("answer")) {
            return MMLU;
        }
        throw new BadItemException("its fields " + fieldNames(o) + " match no known layout (MedQA: options,"
                + " answer_idx; MedMCQA: opa..opd, cop; PubMedQA: final_decision; MMLU: choices, answer); give --format");
    }

    public McqItem read(JsonNode o, String fallbackId) {
        String question = text(o, "question");
        String id = o.has("id") ? o.path("id").asString() : fallbackId;
        return switch (this) {
            case MEDQA -> medqa(o, id, question);
            case MEDMCQA -> medmcqa(o, id, question);
            case PUBMEDQA -> pubmedqa(o, id, question);
            case MMLU -> mmlu(o, id, question);
        };
    }

    private static McqItem medqa(JsonNode o, String id, String question) {
        JsonNode options = o.path("options");
        if (!options.isObject() || options.size() < 2) {
            throw new BadItemException("'options' must be an object of at least two lettered options");
        }
        StringBuilder prompt = new StringBuilder("Question: ").append(question).append('\n');
        List<String> labels = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : options.properties()) {
            labels.add(e.getKey());
            prompt.append(e.getKey()).append(". ").append(optionText(e.getValue(), "options." + e.getKey()))
                    .append('\n');
        }
        prompt.append("Answer:");
        String key = text(o, "answer_idx");
        int answer = labels.indexOf(key);
        if (answer < 0) {
            throw new BadItemException("answer_idx '" + key + "' is not one of the options " + labels);
        }
        return new McqItem(id, prompt.toString(), labels, spaced(labels), answer, null);
    }

    private static McqItem medmcqa(JsonNode o, String id, String question) {
        StringBuilder prompt = new StringBuilder("Question: ").append(question).append("\nChoices:\n");
        String[] keys = {"opa", "opb", "opc", "opd"};
        for (int i = 0; i < keys.length; i++) {
            prompt.append(LETTERS.get(i)).append(". ").append(optionText(o.path(keys[i]), keys[i])).append('\n');
        }
        prompt.append("Answer:");
        JsonNode cop = o.path("cop");
        if (!cop.isIntegralNumber() || cop.asInt() < 0 || cop.asInt() > 3) {
            throw new BadItemException("'cop' must be the correct option's index 0-3, found " + cop);
        }
        List<String> labels = LETTERS.subList(0, 4);
        return new McqItem(id, prompt.toString(), labels, spaced(labels), cop.asInt(),
                o.path("subject_name").isString() ? o.path("subject_name").asString() : null);
    }

    private static McqItem pubmedqa(JsonNode o, String id, String question) {
        JsonNode contexts = o.path("context").isObject() ? o.path("context").path("contexts") : o.path("contexts");
        if (contexts.isMissingNode() && o.path("context").isString()) {
            contexts = o.path("context");
        }
        List<String> parts = new ArrayList<>();
        if (contexts.isArray()) {
            contexts.forEach(c -> parts.add(c.asString()));
        } else if (contexts.isString()) {
            parts.add(contexts.asString());
        } else {
            throw new BadItemException("PubMedQA needs 'context' ({contexts: [...]}, or text) or 'contexts'");
        }
        String decision = text(o, "final_decision").toLowerCase(Locale.ROOT);
        int answer = DECISIONS.indexOf(decision);
        if (answer < 0) {
            throw new BadItemException("final_decision '" + decision + "' is not yes, no or maybe");
        }
        String prompt = "Abstract: " + String.join("\n", parts) + "\nQuestion: " + question + "\nAnswer:";
        return new McqItem(id, prompt, DECISIONS, spaced(DECISIONS), answer, null);
    }

    private static McqItem mmlu(JsonNode o, String id, String question) {
        JsonNode choices = o.path("choices");
        if (!choices.isArray() || choices.size() < 2 || choices.size() > LETTERS.size()) {
            throw new BadItemException("'choices' must be a list of 2 to " + LETTERS.size() + " options");
        }
        String subject = o.path("subject").isString() ? o.path("subject").asString() : null;
        StringBuilder prompt = new StringBuilder();
        if (subject != null) {
            prompt.append("The following are multiple choice questions (with answers) about ")
                    .append(subject.replace('_', ' ')).append(".\n\n");
        }
        prompt.append(question.strip()).append('\n');
        Iterator<JsonNode> it = choices.iterator();
        for (int i = 0; it.hasNext(); i++) {
            prompt.append(LETTERS.get(i)).append(". ").append(optionText(it.next(), "choices[" + i + "]"))
                    .append('\n');
        }
        prompt.append("Answer:");
        JsonNode answer = o.path("answer");
        if (!answer.isIntegralNumber() || answer.asInt() < 0 || answer.asInt() >= choices.size()) {
            throw new BadItemException("'answer' must be a choice index 0-" + (choices.size() - 1) + ", found "
                    + answer);
        }
        List<String> labels = LETTERS.subList(0, choices.size());
        return new McqItem(id, prompt.toString(), labels, spaced(labels), answer.asInt(), subject);
    }

    private static List<String> spaced(List<String> labels) {
        return labels.stream().map(l -> " " + l).toList();
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = o.path(field);
        if (!v.isString() || v.asString().isBlank()) {
            throw new BadItemException("'" + field + "' is missing or not a non-empty string");
        }
        return v.asString();
    }

    private static String optionText(JsonNode v, String where) {
        if (!v.isString() || v.asString().isBlank()) {
            throw new BadItemException("option " + where + " is missing or empty");
        }
        return v.asString();
    }

    private static List<String> fieldNames(JsonNode o) {
        List<String> names = new ArrayList<>();
        o.propertyNames().forEach(names::add);
        return names;
    }
}
