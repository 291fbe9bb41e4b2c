package io.fedmerge.eval.skills;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Each hospital's private question set, in MedQA's layout, from made-up clinical words (consonant-vowel syllables):
 * "A patient of {ward} presents with {finding} and {finding}. Which {word} treats it?" with four made-up options and a
 * random answer letter. Every hospital draws its own words, so no two sets share a prompt. Reproducible from the seed.
 */
final class SyntheticQuestions {
    private static final String CONSONANTS = "bdfgklmnprstvz";
    private static final String VOWELS = "aeiou";
    private static final List<String> TEMPLATE = List.of("Question", "Answer", "A", "B", "C", "D", "patient", "of",
            "presents", "with", "and", "Which", "treats", "it");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final List<List<String>> lines = new ArrayList<>();
    private final Set<String> words = new LinkedHashSet<>(TEMPLATE);

    SyntheticQuestions(long seed, int hospitals, int perHospital) {
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + 17);
        for (int h = 0; h < hospitals; h++) {
            List<String> pool = new ArrayList<>();
            while (pool.size() < 12) {
                String w = word(random);
                if (words.add(w)) {
                    pool.add(w);
                }
            }
            List<String> set = new ArrayList<>();
            Set<String> asked = new HashSet<>();
            for (int i = 0; i < perHospital; i++) {
                set.add(question(random, pool, h, i, asked));
            }
            lines.add(set);
        }
    }

    private static String word(SplittableRandom random) {
        StringBuilder w = new StringBuilder();
        int syllables = 2 + random.nextInt(2);
        for (int s = 0; s < syllables; s++) {
            w.append(CONSONANTS.charAt(random.nextInt(CONSONANTS.length())))
                    .append(VOWELS.charAt(random.nextInt(VOWELS.length())));
        }
        return w.toString();
    }

    /** A question whose sentence is not in {@code asked} (two prompts alike could not be told apart). */
    private static String question(SplittableRandom random, List<String> pool, int hospital, int index,
            Set<String> asked) {
        String sentence;
        do {
            sentence = "A patient of " + pick(random, pool) + " presents with " + pick(random, pool) + " and "
                    + pick(random, pool) + ". Which " + pick(random, pool) + " treats it?";
        } while (!asked.add(sentence));
        ObjectNode o = JSON.createObjectNode();
        o.put("id", "hospital-" + (hospital + 1) + "-q" + (index + 1));
        o.put("question", sentence);
        ObjectNode options = o.putObject("options");
        List<String> chosen = new ArrayList<>();
        while (chosen.size() < 4) {
            String w = pick(random, pool);
            if (!chosen.contains(w)) {
                chosen.add(w);
            }
        }
        for (int k = 0; k < 4; k++) {
            options.put(String.valueOf((char) ('A' + k)), chosen.get(k));
        }
        o.put("answer_idx", String.valueOf((char) ('A' + random.nextInt(4))));
        return JSON.writeValueAsString(o);
    }

    private static String pick(SplittableRandom random, List<String> pool) {
        return pool.get(random.nextInt(pool.size()));
    }

    /** Every word the sets use (the template's and the made-up ones). */
    List<String> words() {
        return List.copyOf(words);
    }

    String jsonLines(int hospital) {
        return String.join("\n", lines.get(hospital)) + "\n";
    }
}
