package io.fedmerge.eval.data;

import java.util.List;

/**
 * One multiple-choice question as lm-evaluation-harness scores it: the prompt, and for each choice the text whose
 * log-likelihood after the prompt is summed.
 *
 * @param labels what the choices are called in reports ("A".."D", or "yes"/"no"/"maybe")
 * @param continuations the scored texts, with their leading delimiter (" A", " yes")
 * @param answer index of the correct choice
 * @param category the item's subject where the data has one, else null
 */
public record McqItem(String id, String context, List<String> labels, List<String> continuations, int answer,
        String category) {
    public McqItem {
        labels = List.copyOf(labels);
        continuations = List.copyOf(continuations);
    }
}
