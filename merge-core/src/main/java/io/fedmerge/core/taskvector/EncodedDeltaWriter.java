package io.fedmerge.core.taskvector;

import io.fedmerge.core.FedmergeException;
import io.fedmerge.core.io.Checkpoint;
import io.fedmerge.core.io.CheckpointDigest;
import io.fedmerge.core.plan.TensorSetCheck;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The writing side of {@link EncodedDeltaReader}: a fine-tune encoded against its base, magic bytes, a
 * length-prefixed header, then the format's bytes tensor by tensor in the base's order, written under a temporary
 * name and renamed when complete (never a partial file under the output's name).
 */
final class EncodedDeltaWriter {
    /** What one format writes. */
    interface Format {
        byte[] magic();

        byte[] header(Checkpoint base, Checkpoint tuned, String digest, List<String> warnings);

        /** Writes one tensor; returns a count the caller sums (bytes encoded, values kept). */
        long tensor(Checkpoint base, Checkpoint tuned, String name, DataOutputStream o) throws IOException;
    }

    record Written(String digest, long bytes, long total, List<String> warnings) {}

    private EncodedDeltaWriter() {}

    /** @param baseDigest the base's digest when the caller already knows it (it costs a full read), else null */
    static Written write(Format format, Path basePath, Path finetunedPath, Path out, String baseDigest) {
        if (Files.exists(out)) {
            throw new FedmergeException("output " + out + " already exists; choose a new file name");
        }
        try (Checkpoint base = Checkpoint.open(basePath); Checkpoint tuned = Checkpoint.open(finetunedPath)) {
            List<String> warnings = TensorSetCheck.check(base, tuned, "fine-tuned model " + finetunedPath, true);
            String digest = baseDigest != null ? baseDigest : CheckpointDigest.of(base);
            Path partial = out.resolveSibling("." + out.getFileName() + ".partial");
            long total = 0;
            try (OutputStream file = Files.newOutputStream(partial);
                    DataOutputStream o = new DataOutputStream(new BufferedOutputStream(file, 1 << 20))) {
                o.write(format.magic());
                byte[] header = format.header(base, tuned, digest, warnings);
                o.writeInt(Integer.reverseBytes(header.length));
                o.write(header);
                for (String name : base.tensorNames()) {
                    total += format.tensor(base, tuned, name, o);
                }
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(partial);
                throw e;
            }
            Files.move(partial, out, StandardCopyOption.ATOMIC_MOVE);
            return new Written(digest, Files.size(out), total, warnings);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out, e);
        }
    }
}
