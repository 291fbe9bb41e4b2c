package io.fedmerge.eval.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedmerge.core.FedmergeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each public layout becomes lm-evaluation-harness's prompt and choices; every bad line is named with what is wrong. */
class McqDatasetTest {
    @TempDir
    Path dir;

    List<McqItem> read(String lines, McqFormat format) throws IOException {
        return McqDataset.read(Files.writeString(dir.resolve("q.jsonl"), lines), format, 0);
    }

    @Test
    void medqaMedmcqaPubmedqaAndMmluPromptsAreTheHarnesss() throws IOException {
        McqItem medqa = read("""
                {"question":"Which drug?","options":{"A":"x","B":"y","C":"z","D":"w"},"answer_idx":"C"}
                """, null).getFirst();
        assertThat(medqa.context()).isEqualTo("Question: Which drug?\nA. x\nB. y\nC. z\nD. w\nAnswer:");
        assertThat(medqa.continuations()).containsExactly(" A", " B", " C", " D");
        assertThat(medqa.answer()).isEqualTo(2);

        McqItem medmcqa = read("""
                {"question":"Q?","opa":"a","opb":"b","opc":"c","opd":"d","cop":1,"subject_name":"Anatomy"}
                """, null).getFirst();
        assertThat(medmcqa.context()).isEqualTo("Question: Q?\nChoices:\nA. a\nB. b\nC. c\nD. d\nAnswer:");
        assertThat(medmcqa.answer()).isEqualTo(1);
        assertThat(medmcqa.category()).isEqualTo("Anatomy");

        McqItem pubmed = read("""
                {"question":"Does it?","context":{"contexts":["One.","Two."]},"final_decision":"maybe"}
                """, null).getFirst();
        assertThat(pubmed.context()).isEqualTo("Abstract: One.\nTwo.\nQuestion: Does it?\nAnswer:");
        assertThat(pubmed.continuations()).containsExactly(" yes", " no", " maybe");
        assertThat(pubmed.answer()).isEqualTo(2);

        McqItem mmlu = read("""
                {"question":" What? ","choices":["p","q","r","s"],"answer":3,"subject":"clinical_knowledge"}
                """, null).getFirst();
        assertThat(mmlu.context()).isEqualTo("The following are multiple choice questions (with answers) about"
                + " clinical knowledge.\n\nWhat?\nA. p\nB. q\nC. r\nD. s\nAnswer:");
        assertThat(mmlu.answer()).isEqualTo(3);
        assertThat(mmlu.category()).isEqualTo("clinical_knowledge");
    }

    @Test
    void aBadLineIsAnErrorNamingTheFileTheLineAndTheProblem() {
        String good = "{\"question\":\"Q\",\"options\":{\"A\":\"x\",\"B\":\"y\"},\"answer_idx\":\"A\"}\n";
        assertRefused(good + "{\"question\":\"Q\",\"options\":{\"A\":\"x\",\"B\":\"y\"},\"answer_idx\":\"E\"}\n",
                "line 2 (medqa): answer_idx 'E' is not one of the options [A, B]");
        assertRefused(good + "\n{not json\n", "line 3: not valid JSON");
        assertRefused(good + "{\"question\":\"\",\"options\":{\"A\":\"x\",\"B\":\"y\"},\"answer_idx\":\"A\"}\n",
                "line 2 (medqa): 'question' is missing or not a non-empty string");
        assertRefused("{\"q\":1}\n", "line 1: its fields [q] match no known layout");
        assertRefused("\n\n", "holds no questions");
        assertRefused("{\"question\":\"Q\",\"opa\":\"a\",\"opb\":\"b\",\"opc\":\"c\",\"opd\":\"\",\"cop\":0}\n",
                "option opd is missing or empty");
        assertRefused("{\"question\":\"Q\",\"choices\":[\"a\",\"b\"],\"answer\":5}\n",
                "'answer' must be a choice index 0-1, found 5");
        assertThatThrownBy(() -> McqFormat.parse("usmle")).hasMessageContaining("unknown format 'usmle'");
    }

    @Test
    void aLimitReadsOnlyTheFirstItemsAndIdsFallBackToLineNumbers() throws IOException {
        String line = "{\"question\":\"Q\",\"choices\":[\"a\",\"b\"],\"answer\":1}\n";
        List<McqItem> items = read(line + line + line, McqFormat.MMLU);
        assertThat(items).extracting(McqItem::id).containsExactly("line-1", "line-2", "line-3");
        assertThat(McqDataset.read(dir.resolve("q.jsonl"), McqFormat.MMLU, 2)).hasSize(2);
    }

    private void assertRefused(String lines, String message) {
        assertThatThrownBy(() -> read(lines, null)).isInstanceOf(FedmergeException.class).hasMessageContaining(message);
    }
}
