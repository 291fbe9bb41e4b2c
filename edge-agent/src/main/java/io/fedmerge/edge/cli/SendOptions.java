package io.fedmerge.edge.cli;

import io.fedmerge.core.taskvector.Sparsification;
import io.fedmerge.edge.Contributor;
import java.security.SecureRandom;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** How a fine-tune travels (contribute and watch): lossless by default, thinned when the hospital asks for it. */
final class SendOptions {
    @Spec(Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--encoding", defaultValue = "XOR", description = "How a fine-tune is sent: XOR (lossless,"
            + " XOR-coded against the base and compressed: smaller than the fine-tune) or F32 (the float32 task"
            + " vector, twice a bf16 model: for hubs older than fedmerge-xor-v1). Default: ${DEFAULT-VALUE}.")
    Contributor.Encoding encoding;

    @Option(names = "--density", description = "Lossy, opt-in: send only this fraction (0 < d <= 1) of each"
            + " tensor's task-vector values, with their positions (fedmerge-sparse-v1). The hub records it.")
    Double density;

    @Option(names = "--sparsify", defaultValue = "magnitude", description = "With --density: magnitude (the"
            + " largest |delta| of each tensor, as TIES trims) or random (each value kept with probability d and"
            + " rescaled by 1/d, as DARE). Default: ${DEFAULT-VALUE}.")
    String sparsify;

    @Option(names = "--seed", description = "With --sparsify random: the seed of its stream (default: a new random"
            + " one, sent in the manifest).")
    Long seed;

    /** The contributor these options describe; {@code adapter} when the contribution is a LoRA adapter. */
    Contributor contributor(boolean adapter) {
        if (density == null) {
            return new Contributor(encoding);
        }
        if (adapter) {
            throw new ParameterException(spec.commandLine(), "--density thins a fine-tune's task vector; an adapter"
                    + " is sent as it is (already small): drop --density or send --finetuned");
        }
        Sparsification.Kind kind = Sparsification.Kind.of(sparsify);
        long s = seed != null ? seed : kind == Sparsification.Kind.RANDOM ? new SecureRandom().nextLong() : 0;
        return new Contributor(encoding, new Sparsification(kind, density, s));
    }
}
