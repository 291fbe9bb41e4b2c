package io.fedmerge.hub.round;

import java.util.List;

/**
 * What a round published: the consolidated checkpoint's files (for download and per-file checks) and digest, and
 * the PEFT adapter when the round publishes one.
 *
 * @param files the checkpoint's files; empty when only an adapter is published
 * @param checkpointDigest the checkpoint's digest, or null when only an adapter is published
 * @param adapter the published adapter, or null
 * @param evaluation the candidates the sites scored and what their scores decided, in rounds with evaluation
 */
public record Artifact(List<File> files, String checkpointDigest, int contributions, double mergeSeconds,
        Adapter adapter, Evaluation evaluation) {
    public record File(String name, long size, String sha256) {}

    /**
     * @param how concatenated, truncated or extracted ({@code fedmerge merge --as-adapter})
     * @param worstRelativeError the largest ‖ΔW − B·A‖_F / ‖ΔW‖_F over its modules (0 when exact)
     */
    public record Adapter(List<File> files, String how, int rank, double worstRelativeError) {
        public Adapter {
            files = List.copyOf(files);
        }
    }

    /** A merge the sites score while the round is EVALUATING (its files under candidates/{index}/). */
    public record Candidate(int index, String mergeMethod, List<File> files, String checkpointDigest) {
        public Candidate {
            files = List.copyOf(files);
        }
    }

    /** @param outcome null while the sites are still scoring */
    public record Evaluation(List<Candidate> candidates, EvaluationOutcome outcome) {
        public Evaluation {
            candidates = List.copyOf(candidates);
        }
    }

    public Artifact {
        files = files == null ? List.of() : List.copyOf(files);
    }

    public Artifact(List<File> files, String checkpointDigest, int contributions, double mergeSeconds,
            Adapter adapter) {
        this(files, checkpointDigest, contributions, mergeSeconds, adapter, null);
    }
}
