package io.fedmerge.core.generate;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code fedmerge generate --skills} adds to generated models (a tokenizer, private question sets, skills
 * planted in the fine-tunes): it needs a forward pass, so it lives in the eval module and is found through
 * {@link java.util.ServiceLoader} (merge-core stays free of it).
 */
public interface SkillsExtension {
    /** Refuses, before anything is generated, a shape the skills cannot be planted in (say, too small a vocabulary). */
    default void check(ModelShape shape, int variants, long seed, int questions) {}

    /**
     * @param generated the base and fine-tunes just written
     * @param questions questions per hospital (0 = the extension's default for the shape)
     * @return the question files written, one per fine-tune
     */
    List<Path> plant(CheckpointGenerator.Generated generated, Path out, ModelShape shape, long seed,
            int questions, PrintStream log);
}
